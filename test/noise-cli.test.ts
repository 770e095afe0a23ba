import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeModelFile, type Activation } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';

/** Made by test/fixtures/noise/make-noise-fixture.py: PyTorch float64 autograd per group, the paper's formulas. */
const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/noise/noise-fixture.json'), 'utf8')) as {
  layers: number[];
  activations: Activation[];
  params: number[];
  mean: number[];
  std: number[];
  csv: string;
  batch: number;
  shards: number;
  batches: { batch: number; rows: number; groups: number; groupRows: number[]; gradSq: number; traceSigma: number; bSimple: number }[];
  summary: { gradSq: number; traceSigma: number; bSimple: number };
};

const dir = tempDir('noise');
const csv = path.join(dir, 'rows.csv');
const model = path.join(dir, 'net.sgm');
writeFileSync(csv, fixture.csv);
writeFileSync(
  model,
  encodeModelFile({
    kind: 'model',
    spec: { sizes: fixture.layers, activations: fixture.activations, loss: 'ce' },
    tensors: new Map([['params', Float32Array.from(fixture.params)]]),
    preprocess: { kind: 'standardize', mean: fixture.mean, std: fixture.std },
    meta: {},
    data: { task: 'classification' },
  }),
);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const base = ['noise', '--model', model, '--data', `csv:${csv}`];

describe('shardgrad noise', () => {
  it('--json: per batch and the summary equal the PyTorch float64 computation to 1e-5 relative (uneven groups 3,3,2,2,2)', () => {
    const r = runCli([...base, '--batch', String(fixture.batch), '--shards', String(fixture.shards), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(fixture.batches.length + 1);
    fixture.batches.forEach((want, n) => {
      const got = lines[n] as Record<string, unknown>;
      expect(Object.keys(got)).toEqual(['batch', 'rows', 'groups', 'groupRows', 'gradSq', 'traceSigma', 'bSimple']);
      expect([got.batch, got.rows, got.groups, got.groupRows]).toEqual([want.batch, want.rows, want.groups, want.groupRows]);
      for (const k of ['gradSq', 'traceSigma', 'bSimple'] as const) expect(rel(got[k] as number, want[k]), `batch ${n + 1} ${k}`).toBeLessThan(1e-5);
    });
    const summary = lines[lines.length - 1];
    expect(summary.type).toBe('summary');
    for (const k of ['gradSq', 'traceSigma', 'bSimple'] as const) expect(rel(summary[k] as number, fixture.summary[k])).toBeLessThan(1e-5);
  });

  it('--batches 2 measures the first two batches; the text form prints the mean B_simple', () => {
    const r = runCli([...base, '--batch', '12', '--shards', '5', '--batches', '2']);
    expect(r.status, r.stderr).toBe(0);
    const mean = (fixture.batches[0].traceSigma + fixture.batches[1].traceSigma) / (fixture.batches[0].gradSq + fixture.batches[1].gradSq);
    expect(r.stdout).toContain(`B_simple = mean tr(Σ) / mean |G|² = ${mean.toPrecision(5)}`);
  });

  it('bad flags and files: one line naming the flag or file, exit 2', () => {
    expectOneLineError(runCli([...base, '--shards', '1']), /--shards: must be at least 2/);
    expectOneLineError(runCli([...base, '--batch', '4', '--shards', '5']), /--shards: 5 is more than the 4 rows/);
    expectOneLineError(runCli([...base, '--batch', '41']), /--batch: 41 is more than the 40 rows/);
    expectOneLineError(runCli([...base, '--batch', '12', '--shards', '4', '--batches', '4']), /--batches: 4 batches of 12 rows need 48 rows/);
    expectOneLineError(runCli([...base, '--batch', 'x']), /--batch/);
    expectOneLineError(runCli(['noise', '--model', path.join(dir, 'missing.sgm'), '--data', `csv:${csv}`]), /missing\.sgm/);
    expectOneLineError(runCli(['noise', '--model', model, '--data', 'xor']), /takes 4 inputs/);
  });
});
