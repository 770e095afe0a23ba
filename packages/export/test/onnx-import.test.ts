import { allSkips, mlpSpec, Rng, type MLPSpec } from '@shardgrad/core';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportModel, importOnnx } from '../src/index.js';
import { onnx, type OnnxTypes } from '../src/onnx/proto.js';
import { activationSpecs, maxAbsDiff, preprocessOf, randomInputs, randomModel, shardgradOutputs } from './fixtures.js';

const ROWS = 1000;

async function onnxruntimeOutputs(bytes: Uint8Array, X: Float32Array, rows: number, n0: number, inputName = 'input', outputName = 'output'): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ [inputName]: new ort.Tensor('float32', X, [rows, n0]) });
  return result[outputName].data as Float32Array;
}

/** Seeded float32 values, uniform in ±scale. */
function values(n: number, rng: Rng, scale = 0.5): number[] {
  return Array.from({ length: n }, () => Math.fround(rng.uniform(-scale, scale)));
}

/** A node, written by hand (not by the exporter). */
const node = (opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): OnnxTypes.INodeProto => ({ opType, input, output: [output], attribute });
/** An initializer holding float_data (the exporter writes raw_data: this reads the other form). */
const floats = (name: string, dims: number[], data: number[]): OnnxTypes.ITensorProto => ({ name, dims, dataType: 1, floatData: data });
const io = (name: string, n: number | string): OnnxTypes.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, typeof n === 'number' ? { dimValue: n } : { dimParam: n }] } } },
});
function modelBytes(nodes: OnnxTypes.INodeProto[], initializer: OnnxTypes.ITensorProto[], n0: number, nOut: number, opset = 13): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: '', version: opset }],
      producerName: 'hand-written test',
      graph: { name: 'g', node: nodes, initializer, input: [io('x', n0)], output: [io('probs', nOut)] },
    }),
  ).finish();
}

describe('importOnnx: shardgrad export → import', () => {
  it('gives the same spec, parameters bit for bit, preprocessing and meta', () => {
    // GELU layers are exported as Erf-based subgraphs, which the importer does not read back (see below)
    const specs: MLPSpec[] = [...activationSpecs([5, 6, 4], [], ['relu', 'sigmoid', 'tanh', 'identity']), mlpSpec([5, 7, 6, 3], 'relu', 'softmax', 'ce', allSkips([5, 7, 6, 3])), mlpSpec([4, 3, 3, 2], 'tanh', 'sigmoid', 'mse', [[1, 3]])];
    for (const [i, spec] of specs.entries())
      for (const kind of ['none', 'standardize', 'minmax'] as const) {
        const model = randomModel(spec, 50 + i, preprocessOf(kind, spec.sizes[0], 60 + i, kind === 'minmax' ? 1 : undefined));
        const back = importOnnx(exportModel(model, 'onnx')[0].bytes, 'm.onnx');
        expect(back.spec).toEqual(spec);
        expect(Buffer.from(back.params.buffer).equals(Buffer.from(model.params.buffer)), `${spec.activations.join(',')} ${kind}`).toBe(true);
        expect(back.preprocess).toEqual(model.preprocess);
        expect(back.meta).toEqual({ ...model.meta, importedFrom: { file: 'm.onnx', producer: 'shardgrad', opset: 13 } });
      }
  });
});

describe('importOnnx: an ONNX MLP written by hand', () => {
  it('reads Sub/Div scaling, MatMul + Add layers and Softmax, and predicts like onnxruntime', async () => {
    const rng = new Rng(5);
    const [W1, b1, W2, b2] = [values(4 * 5, rng), values(5, rng), values(5 * 3, rng), values(3, rng)];
    const [mean, std] = [values(4, rng), values(4, rng).map((s) => Math.fround(1 + Math.abs(s)))];
    const bytes = modelBytes(
      [
        node('Sub', ['x', 'mean'], 'c'),
        node('Div', ['c', 'std'], 's'),
        node('MatMul', ['s', 'W1'], 'm1'),
        node('Add', ['m1', 'b1'], 'v1'),
        node('Tanh', ['v1'], 'h1'),
        node('MatMul', ['h1', 'W2'], 'm2'),
        node('Add', ['b2', 'm2'], 'v2'),
        node('Softmax', ['v2'], 'probs', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
      ],
      [floats('mean', [4], mean), floats('std', [4], std), floats('W1', [4, 5], W1), floats('b1', [5], b1), floats('W2', [5, 3], W2), floats('b2', [3], b2)],
      4,
      3,
    );
    const m = importOnnx(bytes, 'hand.onnx');
    expect(m.spec).toEqual(mlpSpec([4, 5, 3], 'tanh', 'softmax', 'ce'));
    expect(m.preprocess).toEqual({ kind: 'standardize', mean, std });
    expect(Array.from(m.params)).toEqual([...W1, ...b1, ...W2, ...b2]); // the layout of docs/design.md: W⁰, b⁰, W¹, b¹
    const X = randomInputs(ROWS, 4, 6, -3, 3);
    const theirs = await onnxruntimeOutputs(bytes, X, ROWS, 4, 'x', 'probs');
    expect(maxAbsDiff(shardgradOutputs(m, X, ROWS), theirs)).toBeLessThanOrEqual(1e-5);
  });

  it('reads Gemm with transB, a skip block added as a second MatMul, and an identity output', async () => {
    const rng = new Rng(9);
    const [W1t, b1, W2, W02, b2] = [values(6 * 3, rng), values(6, rng), values(6 * 2, rng), values(3 * 2, rng), values(2, rng)];
    const bytes = modelBytes(
      [
        node('Gemm', ['x', 'W1t', 'b1'], 'v1', [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
        node('Sigmoid', ['v1'], 'h1'),
        node('MatMul', ['h1', 'W2'], 'main'),
        node('MatMul', ['x', 'W02'], 'skip'),
        node('Add', ['main', 'skip'], 'sum'),
        node('Add', ['sum', 'b2'], 'probs'),
      ],
      [floats('W1t', [6, 3], W1t), floats('b1', [6], b1), floats('W2', [6, 2], W2), floats('W02', [3, 2], W02), floats('b2', [2], b2)],
      3,
      2,
    );
    const m = importOnnx(bytes, 'skip.onnx');
    expect(m.spec).toEqual(mlpSpec([3, 6, 2], 'sigmoid', 'identity', 'mse', [[0, 2]]));
    expect(m.preprocess).toEqual({ kind: 'none' });
    // W⁰ is W1tᵀ: W⁰[i][j] = W1t[j][i]
    expect(m.params[0 * 6 + 4]).toBe(W1t[4 * 3 + 0]);
    expect(m.params[2 * 6 + 1]).toBe(W1t[1 * 3 + 2]);
    const X = randomInputs(ROWS, 3, 10);
    const theirs = await onnxruntimeOutputs(bytes, X, ROWS, 3, 'x', 'probs');
    expect(maxAbsDiff(shardgradOutputs(m, X, ROWS), theirs)).toBeLessThanOrEqual(1e-5);
  });
  it('reads weights from Constant nodes and an opset-11 Softmax (default axis 1), a Sub-only scaling and a bias-free MatMul', async () => {
    const rng = new Rng(21);
    const [W1, W2, b2, shift] = [values(3 * 4, rng), values(4 * 3, rng), values(3, rng), values(3, rng)];
    const constant = (name: string, dims: number[], data: number[]) =>
      node('Constant', [], name, [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: floats('', dims, data) }]);
    const bytes = modelBytes(
      [
        constant('shift', [1, 3], shift),
        constant('W1', [3, 4], W1),
        node('Sub', ['x', 'shift'], 'c'),
        node('MatMul', ['c', 'W1'], 'v1'),
        node('Relu', ['v1'], 'h1'),
        node('Gemm', ['h1', 'W2', 'b2'], 'v2'),
        node('Softmax', ['v2'], 'probs'),
      ],
      [floats('W2', [4, 3], W2), floats('b2', [3], b2)],
      3,
      3,
      11,
    );
    const m = importOnnx(bytes, 'c.onnx');
    expect(m.spec).toEqual(mlpSpec([3, 4, 3], 'relu', 'softmax', 'ce'));
    expect(m.preprocess).toEqual({ kind: 'standardize', mean: shift, std: [1, 1, 1] });
    expect(Array.from(m.params)).toEqual([...W1, 0, 0, 0, 0, ...W2, ...b2]); // the MatMul layer has no bias: b⁰ = 0
    const X = randomInputs(ROWS, 3, 22);
    const theirs = await onnxruntimeOutputs(bytes, X, ROWS, 3, 'x', 'probs');
    expect(maxAbsDiff(shardgradOutputs(m, X, ROWS), theirs)).toBeLessThanOrEqual(1e-5);
  });
});

describe('importOnnx refuses what is not a shardgrad MLP, in one line naming the file and the node', () => {
  const W = floats('W', [2, 2], [1, 2, 3, 4]);
  const b = floats('b', [2], [0, 0]);
  const base = [node('Gemm', ['x', 'W', 'b'], 'v'), node('Relu', ['v'], 'h'), node('Gemm', ['h', 'W', 'b'], 'w')];

  it('an unsupported op', () => {
    const bytes = modelBytes([...base, node('Conv', ['w', 'W'], 'probs')], [W, b], 2, 2);
    expect(() => importOnnx(bytes, 'm.onnx')).toThrow(/^m\.onnx: node 3 \(Conv\) is not supported: shardgrad imports Gemm, MatMul\+Add, Relu, Sigmoid, Tanh, Softmax/);
    const leaky = modelBytes([node('Gemm', ['x', 'W', 'b'], 'v'), node('LeakyRelu', ['v'], 'probs')], [W, b], 2, 2);
    expect(() => importOnnx(leaky, 'leaky.onnx')).toThrow('leaky.onnx: node 1 (LeakyRelu) is not supported');
    try {
      importOnnx(bytes, 'm.onnx');
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
      expect(e).toMatchObject({ name: 'ShardgradError', exitCode: 2 });
    }
  });

  it('a softmax before the output layer, a Sub after the first layer, a non-float weight, not ONNX at all', () => {
    const hidden = modelBytes([node('Gemm', ['x', 'W', 'b'], 'v'), node('Softmax', ['v'], 'h'), node('Gemm', ['h', 'W', 'b'], 'probs')], [W, b], 2, 2);
    expect(() => importOnnx(hidden, 'h.onnx')).toThrow('h.onnx: "softmax" can only be the output activation');
    const lateSub = modelBytes([...base, node('Sub', ['w', 'b'], 'probs')], [W, b], 2, 2);
    expect(() => importOnnx(lateSub, 's.onnx')).toThrow('s.onnx: node 3 (Sub) is supported only as input scaling');
    const ints = modelBytes([node('Gemm', ['x', 'Wi', 'b'], 'probs')], [{ name: 'Wi', dims: [2, 2], dataType: 7, int64Data: [1, 2, 3, 4] }, b], 2, 2);
    expect(() => importOnnx(ints, 'i.onnx')).toThrow('i.onnx: initializer "Wi" has ONNX data type 7; shardgrad imports float32 tensors');
    expect(() => importOnnx(new TextEncoder().encode('shardgrad,1,2,3\n'), 'a.csv')).toThrow(/^a\.csv: not an ONNX model/);
    const wrongWidth = modelBytes([node('Gemm', ['x', 'W', 'b'], 'probs')], [W, b], 3, 2);
    expect(() => importOnnx(wrongWidth, 'w.onnx')).toThrow('w.onnx: input "x" has 3 features, the first layer reads 2');
  });
});
