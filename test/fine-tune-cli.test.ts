import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel, readModelFile } from '@shardgrad/coordinator';
import { Rng } from '@shardgrad/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';
import { floats, handWrittenOnnx } from './fixtures/onnx-models.js';

/**
 * shardgrad train --from MODEL: fine-tuning a model file (one trained here, or an ONNX model read
 * by shardgrad import). θ starts from the file's parameters, the network and the input scaling come
 * from it, the optimizer state starts at zero.
 */
const dir = tempDir('fine-tune');
const at = (name: string) => path.join(dir, name);
const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && bytesOf(a).equals(bytesOf(b));

function ok(args: string[]): ReturnType<typeof runCli> {
  const r = runCli(args);
  expect(r.status, r.stderr).toBe(0);
  return r;
}

/** The summary line of `train --json`, and its step lines. */
const summaryOf = (stdout: string) => jsonLines(stdout).find((l) => l.type === 'summary')!;
const stepsOf = (stdout: string) => jsonLines(stdout).filter((l) => l.type === 'step');
const evalJson = (model: string, data: string, ...more: string[]) => JSON.parse(ok(['eval', '--model', model, '--data', data, '--json', ...more]).stdout) as { loss: number; accuracy: number; rows: number };

describe('an ONNX model written by hand → shardgrad import → train --from', () => {
  // 2 inputs → 3 ReLU → 1 identity output, weights and biases small dyadic numbers (exact in float32)
  const W1 = [1, -1, 0.5, 2, 1, -0.5]; // (2, 3), row-major: W1[i][j] = W1[3i + j]
  const b1 = [0.5, 0, 1];
  const W2 = [1, -2, 0.5]; // (3, 1)
  const b2 = [0.25];
  /** The network's output for (x1, x2), in exact arithmetic: every product and sum is a multiple of 1/8 below 2⁸. */
  const f = (x: number[]) => {
    const h = [0, 1, 2].map((j) => Math.max(0, x[0] * W1[j] + x[1] * W1[3 + j] + b1[j]));
    return h[0] * W2[0] + h[1] * W2[1] + h[2] * W2[2] + b2[0];
  };
  const onnxFile = at('hand.onnx');
  const imported = at('hand.sgm');
  const csv = at('exact.csv');
  const shifted = at('shifted.csv');

  beforeAll(() => {
    const bytes = handWrittenOnnx({
      node: [
        { opType: 'MatMul', input: ['x', 'W1'], output: ['m1'] },
        { opType: 'Add', input: ['m1', 'b1'], output: ['v1'] },
        { opType: 'Relu', input: ['v1'], output: ['h1'] },
        { opType: 'MatMul', input: ['h1', 'W2'], output: ['m2'] },
        { opType: 'Add', input: ['m2', 'b2'], output: ['y'] },
      ],
      initializer: [floats('W1', [2, 3], W1), floats('b1', [3], b1), floats('W2', [3, 1], W2), floats('b2', [1], b2)],
      inputs: 2,
      outputs: 1,
    });
    writeFileSync(onnxFile, bytes);
    // the integer grid −3..3 × −3..3; targets the network's own outputs (exact), or those plus 1
    const grid = Array.from({ length: 49 }, (_, k) => [(k % 7) - 3, Math.floor(k / 7) - 3]);
    writeFileSync(csv, ['x1,x2,y', ...grid.map((x) => `${x[0]},${x[1]},${f(x)}`)].join('\n') + '\n');
    writeFileSync(shifted, ['x1,x2,y', ...grid.map((x) => `${x[0]},${x[1]},${f(x) + 1}`)].join('\n') + '\n');
    const r = ok(['import', '--model', onnxFile, '--out', imported]);
    expect(r.stdout).toContain('2-3-1 relu,identity (loss mse), preprocessing none');
  });

  const fineTune = (data: string, out: string) =>
    ok(['train', '--from', imported, '--data', `csv:${data}`, '--target-columns', 'y', '--task', 'regression', '--optimizer', 'sgd', '--lr', '0.1', '--epochs', '1', '--batch', '8', '--workers', '2', '--out', out, '--json']);

  it('where the model fits every target exactly, the gradient is exactly 0: one SGD epoch leaves θ bit for bit the imported one', () => {
    const m = loadModel(imported);
    expect(Array.from(m.params)).toEqual([...W1, ...b1, ...W2, ...b2]); // the layout W⁰, b⁰, W¹, b¹
    const out = at('hand-tuned.sgm');
    const r = fineTune(csv, out);
    // ŷ − y = 0 on every row, so the loss is 0 and every ∂L/∂θ is 0: θ − η·0 = θ
    expect(summaryOf(r.stdout).loss).toBe(0);
    expect(stepsOf(r.stdout).map((s) => s.loss)).toEqual([0, 0, 0, 0, 0]); // 39 training rows in batches of 8
    const tuned = loadModel(out);
    expect(tuned.spec).toEqual(m.spec);
    expect(tuned.preprocess).toEqual({ kind: 'none' });
    expect(sameBits(tuned.params, m.params)).toBe(true);
    expect(tuned.meta.fineTunedFrom).toBe(imported);
    expect(r.stderr).toContain(`shardgrad: fine-tuning ${imported}: 2-3-1 relu,identity (loss mse), preprocessing none; the optimizer state starts at zero`);
  });

  it('the same run on targets shifted by 1 starts at loss 1 (ŷ − y = −1 on every row) and moves θ', () => {
    const out = at('hand-shifted.sgm');
    const r = fineTune(shifted, out);
    expect(stepsOf(r.stdout)[0].loss).toBe(1); // mean of (−1)² over the batch, from θ exactly as imported
    expect(sameBits(loadModel(out).params, loadModel(imported).params)).toBe(false);
  });
});

describe('a trained model → shardgrad export (ONNX) → import → train --from', () => {
  const csv = at('shapes.csv');
  const subset = at('two-shapes.csv');
  const trained = at('shapes.sgm');
  const onnxFile = at('shapes.onnx');
  const imported = at('shapes-imported.sgm');

  /** Three named classes around three centres in 4-D, seeded; a header, so the model keeps its class names. */
  beforeAll(() => {
    const rng = new Rng(11);
    const centres: Record<string, number[]> = { circle: [0, 0, 3, 1], square: [3, 1, 0, 2], star: [0, 3, 1, -2] };
    const row = (name: string) => [...centres[name].map((c) => (c + rng.normal()).toFixed(4)), name].join(',');
    writeFileSync(csv, ['a,b,c,d,shape', ...Array.from({ length: 300 }, (_, i) => row(Object.keys(centres)[i % 3]))].join('\n') + '\n');
    // star first, and no circle: on their own these labels would be classes 0 = square, 1 = star of 2
    writeFileSync(subset, ['a,b,c,d,shape', ...Array.from({ length: 40 }, (_, i) => row(i % 2 ? 'square' : 'star'))].join('\n') + '\n');
    ok(['train', '--data', `csv:${csv}`, '--hidden', '8', '--lr', '0.1', '--epochs', '10', '--batch', '16', '--workers', '1', '--seed', '3', '--out', trained, '--json']);
    ok(['export', '--model', trained, '--format', 'onnx', '--out', onnxFile]);
    ok(['import', '--model', onnxFile, '--out', imported]);
  });

  it('the import is the trained model (θ bit for bit, scaling, class names)', () => {
    const [a, b] = [readModelFile(trained), readModelFile(imported)];
    expect(sameBits(b.tensors.get('params')!, a.tensors.get('params')!)).toBe(true);
    expect(b.preprocess).toEqual(a.preprocess);
    expect(b.data?.classes).toEqual(['circle', 'square', 'star']);
  });

  it("fine-tuning starts from the model: one full batch's loss is the loss eval computes for the model on those rows", () => {
    const before = evalJson(imported, `csv:${csv}`, '--split', 'train');
    const r = ok(['train', '--from', imported, '--data', `csv:${csv}`, '--batch', String(before.rows), '--epochs', '1', '--lr', '0.1', '--workers', '1', '--out', at('one-step.sgm'), '--json']);
    const steps = stepsOf(r.stdout);
    expect(steps).toHaveLength(1);
    expect(Math.abs((steps[0].loss as number) - before.loss)).toBeLessThanOrEqual(1e-5 * before.loss);
  });

  it("the model's class names decide the classes: a file with only two of them trains the 3 outputs, star stays class 2", () => {
    // eval reads the file with the model's classes too; a different class order would give another loss
    const before = evalJson(imported, `csv:${subset}`, '--split', 'all');
    expect(before.rows).toBe(40);
    const out = at('two-shapes-tuned.sgm');
    const r = ok(['train', '--from', imported, '--data', `csv:${subset}`, '--test-split', '0', '--batch', '40', '--epochs', '1', '--lr', '0.1', '--workers', '1', '--out', out, '--json']);
    expect(Math.abs((stepsOf(r.stdout)[0].loss as number) - before.loss)).toBeLessThanOrEqual(1e-5 * before.loss);
    const tuned = readModelFile(out);
    expect(tuned.spec.sizes).toEqual([4, 8, 3]);
    expect(tuned.data?.classes).toEqual(['circle', 'square', 'star']);
  });

  it('two epochs at a real learning rate keep the held-out accuracy (within one row of 60)', () => {
    const before = evalJson(imported, `csv:${csv}`);
    expect(before.rows).toBe(60);
    expect(before.accuracy).toBeGreaterThanOrEqual(0.9);
    const out = at('shapes-tuned.sgm');
    ok(['train', '--from', imported, '--data', `csv:${csv}`, '--epochs', '2', '--lr', '0.05', '--batch', '16', '--workers', '2', '--seed', '5', '--out', out, '--json']);
    const after = evalJson(out, `csv:${csv}`);
    expect(after.rows).toBe(60);
    expect(after.accuracy).toBeGreaterThanOrEqual(before.accuracy - 1 / 60);
  });
});

describe('train --from continues exactly where the shuffles cannot matter', () => {
  // two training rows, a batch of both, two shards of one row each: the two shard gradients are
  // added, and a + b = b + a in floating point, so every epoch's shuffle gives the same step;
  // SGD keeps no state, the schedule is constant. So 2 epochs, saved, then 1 epoch --from the file
  // must be the 3-epoch run bit for bit.
  const two = at('two.csv');
  const run = (epochs: number, out: string, ...more: string[]) =>
    ok(['train', '--data', `csv:${two}`, '--test', `csv:${two}`, '--batch', '2', '--shards', '2', '--optimizer', 'sgd', '--lr', '0.5', '--seed', '7', '--workers', '1', '--epochs', String(epochs), '--out', out, '--json', ...more]);

  it('train 2 epochs, then --from for 1 epoch = train 3 epochs, bit for bit', () => {
    writeFileSync(two, 'a,b,label\n0.5,1.5,yes\n-1,0.25,no\n');
    run(3, at('three.sgm'), '--hidden', '4');
    run(2, at('two-epochs.sgm'), '--hidden', '4');
    run(1, at('continued.sgm'), '--from', at('two-epochs.sgm'));
    const [three, twoEpochs, continued] = ['three.sgm', 'two-epochs.sgm', 'continued.sgm'].map((f) => loadModel(at(f)));
    expect(sameBits(continued.params, twoEpochs.params)).toBe(false);
    expect(sameBits(continued.params, three.params)).toBe(true);
    expect(continued.preprocess).toEqual(three.preprocess);
  });
});

describe('train --from errors: one line naming the flag, exit 2, nothing written', () => {
  const model = at('xor.sgm');
  const out = at('never.sgm');
  beforeAll(() => {
    ok(['train', '--data', 'xor:200', '--hidden', '4', '--epochs', '1', '--workers', '1', '--out', model, '--json']);
  });
  const train = (...args: string[]) => runCli(['train', '--from', model, '--data', 'xor:200', '--epochs', '1', '--out', out, ...args]);

  it('a flag whose value comes from the model', () => {
    for (const [flag, value] of [
      ['--layers', '2,4,2'],
      ['--hidden', '4'],
      ['--activation', 'relu'],
      ['--output', 'softmax'],
      ['--loss', 'ce'],
      ['--skip', 'all'],
      ['--connect', '0>2'],
      ['--init', 'glorot'],
      ['--preprocess', 'standardize'],
    ])
      expectOneLineError(train(flag, value), `${flag}: cannot be combined with --from: the network, its parameters and the input scaling come from ${model}`);
    expect(existsSync(out)).toBe(false);
  });

  it('--resume, an empty or repeated --from, a missing file', () => {
    expectOneLineError(train('--resume', model), '--from: cannot be combined with --resume');
    expectOneLineError(runCli(['train', '--from', '', '--data', 'xor', '--out', out]), '--from: needs a model file');
    expectOneLineError(train('--from', model), '--from: given 2 times, give it once');
    const missing = at('missing.sgm');
    expectOneLineError(runCli(['train', '--from', missing, '--data', 'xor', '--out', out]), `${missing}: no such file`);
    expect(existsSync(out)).toBe(false);
  });

  it("data that does not fit the model: other input or output sizes, regression targets for a classifier, a label not among the model's classes", () => {
    expectOneLineError(runCli(['train', '--from', model, '--data', 'blobs:classes=3', '--out', out]), `--from: ${model} takes 2 inputs and gives 2 outputs, but blobs has 2 inputs and 3 outputs`);
    const regression = at('two-targets.csv');
    writeFileSync(regression, 'x1,x2,y1,y2\n0,1,0.5,0.25\n1,0,0.25,0.5\n1,1,0,1\n0,0,1,0\n');
    expectOneLineError(
      runCli(['train', '--from', model, '--data', `csv:${regression}`, '--target-columns', 'y1,y2', '--task', 'regression', '--out', out]),
      `--from: ${model} is trained with cross-entropy on classes, but two-targets.csv has regression targets`,
    );
    const named = at('named.csv');
    const namedModel = at('named.sgm');
    writeFileSync(named, 'a,b,shape\n0,0,star\n1,1,circle\n0,1,square\n1,0,star\n');
    ok(['train', '--data', `csv:${named}`, '--test-split', '0', '--hidden', '3', '--batch', '2', '--epochs', '1', '--workers', '1', '--out', namedModel, '--json']);
    const unknown = at('hexagons.csv');
    writeFileSync(unknown, 'a,b,shape\n0,0,star\n1,1,hexagon\n');
    expectOneLineError(runCli(['train', '--from', namedModel, '--data', `csv:${unknown}`, '--out', out]), `${unknown}: line 3: class "hexagon" is not one of the model's classes (circle, square, star)`);
    expect(existsSync(out)).toBe(false);
  });
});
