import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeModelFile, type MLPSpec, type Preprocess } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, tempDir } from './cli-helpers.js';

const dir = tempDir('evalpredict');

function writeModel(name: string, spec: MLPSpec, params: number[], preprocess: Preprocess = { kind: 'none' }, meta: Record<string, unknown> = {}): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeModelFile({ kind: 'model', spec, tensors: new Map([['params', Float32Array.from(params)]]), preprocess, meta }));
  return file;
}

// A 2-2 softmax network with W = I, b = 0: v = x, so the class is the larger input.
// Flat layout: W[0][0], W[0][1], W[1][0], W[1][1], b[0], b[1].
const identity = writeModel('identity.sgm', { sizes: [2, 2], activations: ['softmax'], loss: 'ce' }, [1, 0, 0, 1, 0, 0]);
// softmax of (3, 1): p0 = 1 / (1 + e^−2) = 0.8807970780
const P_HIGH = 1 / (1 + Math.exp(-2));

describe('shardgrad eval', () => {
  it('prints loss, accuracy and the confusion matrix worked out by hand', () => {
    // rows (x0, x1, label) and per-row cross-entropy −ln p_label:
    //   (3,1,0): −ln(1/(1+e^−2)) = ln(1+e^−2) = 0.1269280110   predicted 0 ✓
    //   (0,2,1): same by symmetry       = 0.1269280110          predicted 1 ✓
    //   (1,1,0): tie, p = ½: ln 2       = 0.6931471806          predicted 0 (first on ties) ✓
    //   (2,0,1): −ln(1/(1+e^2)) = ln(1+e^2) = 2.1269280110      predicted 0 ✗
    // mean loss = (2·0.1269280110 + 0.6931471806 + 2.1269280110) / 4 = 0.7684828034; accuracy 3/4
    const csv = path.join(dir, 'four.csv');
    writeFileSync(csv, 'x0,x1,label\n3,1,0\n0,2,1\n1,1,0\n2,0,1\n');
    const r = runCli(['eval', '--model', identity, '--data', `csv:${csv}`, '--split', 'all', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [out] = jsonLines(r.stdout);
    expect(out.rows).toBe(4);
    expect(out.loss as number).toBeCloseTo(0.7684828034, 6);
    expect(out.accuracy).toBe(0.75);
    expect(out.confusion).toEqual([
      [2, 0],
      [1, 1],
    ]);
    const text = runCli(['eval', '--model', identity, '--data', `csv:${csv}`, '--split', 'all']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('loss 0.7685');
    expect(text.stdout).toContain('accuracy 75.00% (3/4)');
    expect(text.stdout).toMatch(/0\s+2\s+0\n\s+1\s+1\s+1/);
  });

  it('refuses a model whose sizes do not fit the data', () => {
    const r = runCli(['eval', '--model', identity, '--data', 'mnist']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('takes 2 inputs and gives 2 outputs, but mnist has 784 inputs and 10 outputs');
  });
});

describe('shardgrad predict', () => {
  it('prints one class per row, ignoring a header and a label column', () => {
    const csv = path.join(dir, 'rows.csv');
    writeFileSync(csv, 'label,x0,x1\n9,3,1\n9,0,2\n9,-1,-5\n');
    const r = runCli(['predict', '--model', identity, '--input', csv]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('0\n1\n0\n');
  });

  it('reads stdin with --input - and prints probabilities with --json', () => {
    const r = runCli(['predict', '--model', identity, '--input', '-', '--json'], { input: '3,1\n0,2\n' });
    expect(r.status, r.stderr).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows.map((o) => o.class)).toEqual([0, 1]);
    const p = rows[0].outputs as number[];
    expect(p[0]).toBeCloseTo(P_HIGH, 6);
    expect(p[1]).toBeCloseTo(1 - P_HIGH, 6);
  });

  it("applies the model's saved standardization first", () => {
    // mean (4, 0), std (1, 1): (5, 3) → (1, 3), class 1 (the raw (5, 3) would be class 0)
    const model = writeModel('scaled.sgm', { sizes: [2, 2], activations: ['softmax'], loss: 'ce' }, [1, 0, 0, 1, 0, 0], { kind: 'standardize', mean: [4, 0], std: [1, 1] });
    const r = runCli(['predict', '--model', model, '--input', '-', '--json'], { input: '5,3\n' });
    expect(r.status, r.stderr).toBe(0);
    const [row] = jsonLines(r.stdout);
    expect(row.class).toBe(1);
    expect((row.outputs as number[])[1]).toBeCloseTo(P_HIGH, 6); // softmax(1, 3)
  });

  it('prints the output values of a regression model', () => {
    // ŷ = 2·x0 + 3·x1 + 1: (1, 1) → 6, (0.5, −1) → −1
    const model = writeModel('linear.sgm', { sizes: [2, 1], activations: ['identity'], loss: 'mse' }, [2, 3, 1]);
    const r = runCli(['predict', '--model', model, '--input', '-'], { input: '1,1\n0.5,-1\n' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('6\n-1\n');
  });

  it('a model file is read, not trusted: the bytes on disk stay as they were', () => {
    const before = readFileSync(identity);
    runCli(['predict', '--model', identity, '--input', '-'], { input: '1,2\n' });
    expect(Buffer.compare(before, readFileSync(identity))).toBe(0);
  });
});
