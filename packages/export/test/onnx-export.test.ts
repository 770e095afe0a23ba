import { allSkips, mlpSpec } from '@shardgrad/core';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportModel } from '../src/index.js';
import { onnx } from '../src/onnx/proto.js';
import { activationSpecs, maxAbsDiff, preprocessOf, randomInputs, randomModel, shardgradOutputs } from './fixtures.js';

const ROWS = 1000;

/** The outputs onnxruntime computes for the exported file on X (rows, n₀). */
async function onnxruntimeOutputs(bytes: Uint8Array, X: Float32Array, rows: number, n0: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ input: new ort.Tensor('float32', X, [rows, n0]) });
  return result.output.data as Float32Array;
}

function onlyFile(files: { name: string; bytes: Uint8Array }[]): Uint8Array {
  expect(files.map((f) => f.name)).toEqual(['model.onnx']);
  return files[0].bytes;
}

describe('ONNX export, run in onnxruntime-node', () => {
  it('gives shardgrad predict\'s outputs within 1e-5 on 1,000 inputs, for every hidden and output activation', async () => {
    for (const [i, spec] of activationSpecs([6, 9, 7, 3]).entries()) {
      const model = randomModel(spec, 100 + i);
      const X = randomInputs(ROWS, 6, 200 + i);
      const ours = shardgradOutputs(model, X, ROWS);
      const theirs = await onnxruntimeOutputs(onlyFile(exportModel(model, 'onnx')), X, ROWS, 6);
      expect(theirs.length).toBe(ROWS * 3);
      expect(maxAbsDiff(theirs, ours), `${spec.activations.join(',')}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('applies standardize and minmax preprocessing (a constant minmax column maps to 0) as Sub/Div nodes', async () => {
    for (const kind of ['standardize', 'minmax'] as const) {
      const spec = mlpSpec([5, 8, 4], 'tanh', 'softmax', 'ce');
      const model = randomModel(spec, 7, preprocessOf(kind, 5, 8, 2));
      const X = randomInputs(ROWS, 5, 9, -3, 3, 2);
      const theirs = await onnxruntimeOutputs(onlyFile(exportModel(model, 'onnx')), X, ROWS, 5);
      expect(maxAbsDiff(theirs, shardgradOutputs(model, X, ROWS)), kind).toBeLessThanOrEqual(1e-5);
      const graph = onnx.ModelProto.decode(exportModel(model, 'onnx')[0].bytes).graph!;
      expect(graph.node.slice(0, 2).map((n) => n.opType)).toEqual(['Sub', 'Div']);
    }
  });

  it('exports connections that skip layers as Gemm plus MatMul blocks summed with Add', async () => {
    const cases: [number[], [number, number][]][] = [
      [[4, 6, 3], [[0, 2]]],
      [[5, 7, 6, 4, 3], allSkips([5, 7, 6, 4, 3])],
      [[3, 5, 5, 2], [[1, 3]]],
    ];
    for (const [i, [sizes, skips]] of cases.entries()) {
      for (const spec of [mlpSpec(sizes, 'relu', 'softmax', 'ce', skips), mlpSpec(sizes, 'sigmoid', 'identity', 'mse', skips)]) {
        const model = randomModel(spec, 30 + i, preprocessOf('standardize', sizes[0], 31 + i));
        const X = randomInputs(ROWS, sizes[0], 32 + i);
        const bytes = onlyFile(exportModel(model, 'onnx'));
        const theirs = await onnxruntimeOutputs(bytes, X, ROWS, sizes[0]);
        expect(maxAbsDiff(theirs, shardgradOutputs(model, X, ROWS)), `${sizes.join('-')} skips ${JSON.stringify(skips)}`).toBeLessThanOrEqual(1e-5);
        const ops = onnx.ModelProto.decode(bytes).graph!.node.map((n) => n.opType);
        expect(ops.filter((o) => o === 'MatMul')).toHaveLength(skips.length);
        expect(ops.filter((o) => o === 'Add')).toHaveLength(skips.length);
        expect(ops.filter((o) => o === 'Gemm')).toHaveLength(sizes.length - 1);
      }
    }
  });

  it('writes GELU with Erf (exact) or Tanh (the approximation) from opset-13 ops: no Gelu node, which needs opset 20', () => {
    const ops = (act: 'gelu' | 'gelu-tanh') => onnx.ModelProto.decode(exportModel(randomModel(mlpSpec([4, 3, 2], act, 'identity', 'mse'), 1), 'onnx')[0].bytes).graph!.node.map((n) => n.opType);
    expect(ops('gelu')).toEqual(['Gemm', 'Div', 'Erf', 'Add', 'Mul', 'Mul', 'Gemm']);
    expect(ops('gelu-tanh')).toEqual(['Gemm', 'Mul', 'Mul', 'Mul', 'Add', 'Mul', 'Tanh', 'Add', 'Mul', 'Mul', 'Gemm']);
  });

  it('declares opset 13, a symbolic batch dimension, and input/output widths', () => {
    const model = randomModel(mlpSpec([4, 3, 2], 'relu', 'softmax', 'ce'), 1);
    const m = onnx.ModelProto.decode(exportModel(model, 'onnx')[0].bytes);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const dims = (v: typeof m.graph.input[0]) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(m.graph!.input.map((v) => [v.name, dims(v)])).toEqual([['input', ['batch', 4]]]);
    expect(m.graph!.output.map((v) => [v.name, dims(v)])).toEqual([['output', ['batch', 2]]]);
    expect(m.graph!.node.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Softmax']);
  });

  it('refuses a model whose parameters do not fit its layers, in one line', () => {
    const model = randomModel(mlpSpec([4, 3, 2], 'relu', 'softmax', 'ce'), 1);
    expect(() => exportModel({ ...model, params: model.params.subarray(1) }, 'onnx')).toThrow(/^model: layers 4-3-2 need 23 parameters, got 22$/);
    expect(() => exportModel(model, 'keras' as 'onnx')).toThrow(/unknown export format "keras"/);
  });
});
