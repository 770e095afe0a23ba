import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readModelFile } from '@shardgrad/coordinator';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';
import { floats, handWrittenOnnx } from './fixtures/onnx-models.js';

/** shardgrad explain --model M --input …: the lecture's numbers for one row through a model file. */
const dir = tempDir('explain-model');
const at = (name: string) => path.join(dir, name);

function ok(args: string[]): ReturnType<typeof runCli> {
  const r = runCli(args);
  expect(r.status, r.stderr).toBe(0);
  return r;
}

describe('explain --model on an imported ONNX model (2-3-1, ReLU, identity output, MSE)', () => {
  const imported = at('hand.sgm');
  beforeAll(() => {
    const bytes = handWrittenOnnx({
      node: [
        { opType: 'Gemm', input: ['x', 'W1', 'b1'], output: ['v1'] },
        { opType: 'Relu', input: ['v1'], output: ['h1'] },
        { opType: 'Gemm', input: ['h1', 'W2', 'b2'], output: ['y'] },
      ],
      initializer: [floats('W1', [2, 3], [1, -1, 0.5, 2, 1, -0.5]), floats('b1', [3], [0.5, 0, 1]), floats('W2', [3, 1], [1, -2, 0.5]), floats('b2', [1], [0.25])],
      inputs: 2,
      outputs: 1,
    });
    writeFileSync(at('hand.onnx'), bytes);
    ok(['import', '--model', at('hand.onnx'), '--out', imported]);
  });

  it('prints the numbers worked out by hand for x = (1, 2), target 0, η = 0.5', () => {
    const out = JSON.parse(ok(['explain', '--model', imported, '--input', '1,2', '--target', '0', '--lr', '0.5', '--json']).stdout);
    // v¹ = x·W⁰ + b⁰ = (1 + 4 + 0.5, −1 + 2 + 0, 0.5 − 1 + 1) = (5.5, 1, 0.5), all > 0 so y¹ = v¹
    expect(out.forward[0]).toEqual({ v: [5.5, 1, 0.5], y: [5.5, 1, 0.5] });
    // v² = 5.5·1 + 1·(−2) + 0.5·0.5 + 0.25 = 4 = ŷ; L = (0 − 4)² = 16; ∂L/∂v² = 2(ŷ − y) = 8
    expect(out.forward[1]).toEqual({ v: [4], y: [4] });
    expect(out.loss).toBe(16);
    expect(out.backward[1].dL_dv).toEqual([8]);
    expect(out.gradients.weights[1]).toEqual([[44], [8], [4]]); // y¹ᵀ·8
    expect(out.gradients.biases[1]).toEqual([8]);
    // ∂L/∂y¹ = 8·W¹ᵀ = (8, −16, 4), ReLU' = 1: ∂L/∂W⁰ = xᵀ·(8, −16, 4)
    expect(out.gradients.weights[0]).toEqual([[8, -16, 4], [16, -32, 8]]);
    expect(out.updated.weights[1]).toEqual([[1 - 0.5 * 44], [-2 - 0.5 * 8], [0.5 - 0.5 * 4]]);
    expect(out.input).toEqual([1, 2]); // preprocessing none
  });

  it('without --target: the forward pass only, as text', () => {
    const r = ok(['explain', '--model', imported, '--input', '1,2']);
    expect(r.stdout).toContain('Network 2-3-1: hidden activation relu, output activation identity, loss mse');
    expect(r.stdout).toContain('layer 1 (relu): v = (5.5000, 1, 0.5000)');
    expect(r.stdout).toContain('layer 2 (identity): v = (4)');
    expect(r.stdout).not.toContain('Loss');
    expect(r.stdout).not.toContain('Prediction');
  });
});

describe('explain --model on a trained classifier with standardized inputs and class names', () => {
  const csv = at('shapes.csv');
  const model = at('shapes.sgm');
  const row = [0.3, -0.2, 2.5, 1.1];
  beforeAll(() => {
    const centres: Record<string, number[]> = { circle: [0, 0, 3, 1], square: [3, 1, 0, 2], star: [0, 3, 1, -2] };
    const lines = ['a,b,c,d,shape'];
    for (let i = 0; i < 90; i++) {
      const name = Object.keys(centres)[i % 3];
      lines.push([...centres[name].map((c, j) => (c + Math.sin(7 * i + j)).toFixed(4)), name].join(','));
    }
    writeFileSync(csv, lines.join('\n') + '\n');
    ok(['train', '--data', `csv:${csv}`, '--hidden', '5', '--epochs', '5', '--batch', '8', '--workers', '1', '--out', model, '--json']);
    writeFileSync(at('row.csv'), `a,b,c,d\n${row.join(',')}\n`);
  });

  it('scales the row with the saved statistics, and its output and class are what predict gives', () => {
    const file = readModelFile(model);
    const p = file.preprocess as { kind: 'standardize'; mean: number[]; std: number[] };
    expect(p.kind).toBe('standardize');
    const out = JSON.parse(ok(['explain', '--model', model, '--input', row.join(','), '--json']).stdout);
    expect(out.input).toEqual(row.map((x, j) => Math.fround((Math.fround(x) - p.mean[j]) / p.std[j])));
    const predicted = jsonLines(ok(['predict', '--model', model, '--input', at('row.csv'), '--json']).stdout)[0];
    const y = out.forward[out.forward.length - 1].y as number[];
    (predicted.outputs as number[]).forEach((o, k) => expect(Math.abs(y[k] - o)).toBeLessThanOrEqual(1e-6));
    expect(out.label).toBe(predicted.label);
  });

  it('--target NAME is the one-hot vector of that class in the model\'s order; softmax + CE gives ∂L/∂v = ŷ − y', () => {
    const classes = readModelFile(model).data!.classes!;
    expect(classes).toEqual(['circle', 'square', 'star']);
    const out = JSON.parse(ok(['explain', '--model', model, '--input', row.join(','), '--target', 'star', '--json']).stdout);
    expect(out.target).toEqual([0, 0, 1]);
    const y = out.forward[out.forward.length - 1].y as number[];
    expect(out.loss).toBeCloseTo(-Math.log(y[2]), 12);
    const dv = out.backward[out.backward.length - 1].dL_dv as number[];
    dv.forEach((d, k) => expect(d).toBeCloseTo(y[k] - (k === 2 ? 1 : 0), 12));
    const text = ok(['explain', '--model', model, '--input', row.join(','), '--target', '2']).stdout;
    expect(text).toContain("Raw input (0.3, -0.2, 2.5, 1.1), scaled by the model's standardize preprocessing:");
    expect(text).toContain('target y = (0, 0, 1)');
    expect(text).toContain(`Prediction: class ${out.label as string}`);
  });

  it('errors: one line naming the flag, exit 2', () => {
    expectOneLineError(runCli(['explain', '--input', '1,2']), '--input: only with --model');
    expectOneLineError(runCli(['explain', '--model', model]), '--input: needs the 4 features of one row, comma separated');
    expectOneLineError(runCli(['explain', '--model', model, '--input', '1,2']), '--input: the model takes 4 inputs, got 2');
    expectOneLineError(runCli(['explain', '--model', model, '--input', '1,2,x,4']), '--input: must be a number, got "x"');
    expectOneLineError(runCli(['explain', '--model', model, '--input', row.join(','), '--target', 'hexagon']), '--target: "hexagon" is not a class of the model (circle, square, star)');
    expectOneLineError(runCli(['explain', '--model', model, '--input', row.join(','), '--lr', '0.1']), '--lr: only with --target');
    expectOneLineError(runCli(['explain', '--model', model, '--input', row.join(','), '--target', 'star', '--lr', '0']), '--lr: must be a positive number, got 0');
    expectOneLineError(runCli(['explain', '--model', model, '--net', at('x.json')]), /mutually exclusive/);
    expectOneLineError(runCli(['explain', '--model', at('missing.sgm'), '--input', '1']), `${at('missing.sgm')}: no such file`);
  });
});
