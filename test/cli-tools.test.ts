import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, jsonLines, runCli } from './cli-helpers.js';

describe('every command has --help with examples', () => {
  it.each(['train', 'eval', 'predict', 'bench', 'explain', 'gradcheck'])('%s --help', (command) => {
    const r = runCli([command, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`shardgrad ${command}`);
    expect(r.stdout).toContain('Examples:');
  });
  it('the top-level help lists the commands and the exit codes; no command is a usage error', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['train', 'eval', 'predict', 'bench', 'explain', 'gradcheck']) expect(r.stdout).toMatch(new RegExp(`shardgrad ${c}\\b`));
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('Exit codes: 0 ok, 1 training failed (divergence) or a file or stdout could not be written (no space, I/O error), 2 bad input or usage, 3 another MPI rank ended mid-step, 129 hung up (SIGHUP), 130 interrupted (SIGINT), 143 terminated (SIGTERM)');
    const none = runCli([]);
    expect(none.status).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('how it is started', () => {
  it('the bin is a committed file with a node shebang that starts dist/main.js (linkable before the build)', () => {
    const pkgDir = path.resolve(path.dirname(CLI), '..');
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.shardgrad).toBe('./bin/shardgrad.js');
    const bin = readFileSync(path.join(pkgDir, pkg.bin.shardgrad), 'utf8').split('\n');
    expect(bin[0]).toBe('#!/usr/bin/env node');
    expect(bin).toContain("import '../dist/main.js';");
  });
  it('npx shardgrad … from the repository root (the root depends on @shardgrad/cli)', () => {
    const root = path.resolve(path.dirname(CLI), '../../..');
    const r = spawnSync('npx', ['--offline', 'shardgrad', 'explain', '--batch', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)[0].layers).toEqual([2, 3, 2]);
  });
  it('npx shardgrad … in the package (npm links its bin; --offline: never the registry)', () => {
    const r = spawnSync('npx', ['--offline', 'shardgrad', 'explain', '--batch', '--json'], { cwd: path.resolve(path.dirname(CLI), '..'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)[0].layers).toEqual([2, 3, 2]);
  });
  it('pnpm shardgrad … from the repository root', () => {
    const root = path.resolve(path.dirname(CLI), '../../..');
    const r = spawnSync('pnpm', ['--silent', 'shardgrad', 'explain', '--batch', '--json'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)[0].layers).toEqual([2, 3, 2]);
  });
});

/**
 * An independent 2-3-2 tanh / softmax / cross-entropy forward and backward pass in plain float64
 * JavaScript (not core's code): the mean gradient over `rows`, in the flat layout W1, b1, W2, b2.
 */
function meanGradient(params: number[], inputs: number[][], targets: number[][], rows: number[]): number[] {
  const g = new Array<number>(params.length).fill(0);
  const W1 = (i: number, j: number) => params[i * 3 + j];
  const b1 = (j: number) => params[6 + j];
  const W2 = (i: number, k: number) => params[9 + i * 2 + k];
  const b2 = (k: number) => params[15 + k];
  for (const r of rows) {
    const x = inputs[r];
    const h = [0, 1, 2].map((j) => Math.tanh(x[0] * W1(0, j) + x[1] * W1(1, j) + b1(j)));
    const z = [0, 1].map((k) => h[0] * W2(0, k) + h[1] * W2(1, k) + h[2] * W2(2, k) + b2(k));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const p = e.map((v) => v / (e[0] + e[1]));
    const dz = p.map((v, k) => v - targets[r][k]); // ∂L/∂z for softmax + cross-entropy
    for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) g[9 + i * 2 + k] += h[i] * dz[k];
    for (let k = 0; k < 2; k++) g[15 + k] += dz[k];
    const dv = [0, 1, 2].map((j) => (dz[0] * W2(j, 0) + dz[1] * W2(j, 1)) * (1 - h[j] * h[j])); // tanh' = 1 − h²
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) g[i * 3 + j] += x[i] * dv[j];
    for (let j = 0; j < 3; j++) g[6 + j] += dv[j];
  }
  return g.map((v) => v / rows.length);
}

describe('shardgrad explain --batch', () => {
  it.each([
    [4, 2, [2, 2]],
    [5, 2, [3, 2]], // uneven shards: the weighting by size matters
  ])('%i samples over %i workers: shard gradients, their weighted average and the full batch agree', (samples, workers, sizes) => {
    const r = runCli(['explain', '--batch', '--samples', String(samples), '--workers', String(workers), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const t = jsonLines(r.stdout)[0] as unknown as {
      params: number[]; inputs: number[][]; targets: number[][]; names: string[];
      shards: { size: number; samples: [number, number]; meanGradient: number[] }[]; average: number[]; fullBatch: number[];
    };
    expect(t.names).toHaveLength(17); // 2·3 + 3 + 3·2 + 2
    expect(t.shards.map((s) => s.size)).toEqual(sizes);
    const all = Array.from({ length: samples }, (_, i) => i);
    const full = meanGradient(t.params, t.inputs, t.targets, all);
    let scale = 0;
    for (let i = 0; i < 17; i++) {
      scale = Math.max(scale, Math.abs(full[i]));
      expect(t.fullBatch[i]).toBeCloseTo(full[i], 6);
      expect(t.average[i]).toBeCloseTo(full[i], 6);
      // the average is Σ (size / B) · shard mean, recomputed here from the printed shard means
      expect(t.shards.reduce((s, sh) => s + (sh.size / samples) * sh.meanGradient[i], 0)).toBeCloseTo(full[i], 6);
    }
    expect(scale).toBeGreaterThan(1e-3); // not all zeros
    for (const sh of t.shards) {
      const own = meanGradient(t.params, t.inputs, t.targets, all.slice(sh.samples[0], sh.samples[1]));
      own.forEach((v, i) => expect(sh.meanGradient[i]).toBeCloseTo(v, 6));
    }
    // the shards really differ: it is the weighted average, not any one shard, that is the batch gradient
    expect(Math.max(...t.shards[0].meanGradient.map((v, i) => Math.abs(v - t.shards[1].meanGradient[i])))).toBeGreaterThan(1e-3);
  });

  it('prints the table for people', () => {
    const r = runCli(['explain', '--batch']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ḡ = 2/4·ḡ1 + 2/4·ḡ2');
    expect(r.stdout).toMatch(/parameter\s+worker 1 \(2\)\s+worker 2 \(2\)\s+weighted avg\s+full batch/);
    expect(r.stdout.split('\n').filter((l) => /^(W|b)\d\[/.test(l))).toHaveLength(17);
  });
});

describe('shardgrad gradcheck', () => {
  it('reports the largest relative error per layer, far below the tolerance, for a deeper network', () => {
    const r = runCli(['gradcheck', '--layers', '3,5,4,2', '--activation', 'sigmoid', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [g] = jsonLines(r.stdout) as { perLayer: { layer: number; weights: number; biases: number }[]; maxRelativeError: number; ok: boolean }[];
    expect(g.perLayer.map((l) => l.layer)).toEqual([0, 1, 2]);
    expect(g.ok).toBe(true);
    // central differences in float64: truncation O(h²) ≈ 1e-10, far below 1e-6
    expect(g.maxRelativeError).toBeLessThan(1e-6);
    expect(g.maxRelativeError).toBe(Math.max(...g.perLayer.flatMap((l) => [l.weights, l.biases])));
    const text = runCli(['gradcheck', '--layers', '3,5,4,2', '--activation', 'sigmoid']);
    expect(text.stdout.split('\n').filter((l) => /^ {2}layer \d \(W \d×\d, b \d\): largest relative error {2}W \S+ {2}b \S+$/.test(l))).toHaveLength(3);
  });
  it('an impossible tolerance fails with exit code 1', () => {
    const r = runCli(['gradcheck', '--tolerance', '1e-30']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^shardgrad: gradcheck: largest relative error \S+ exceeds 1e-30\n$/);
  });
});

describe('shardgrad bench', () => {
  it('--json: trainLocal, then one line per worker count with epoch samples/s, speed-up and efficiency against trainLocal, then the projection', () => {
    const r = runCli(['bench', '--data', 'xor:200', '--hidden', '8', '--batch', '32', '--workers', '1,2', '--epochs', '3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    type Spread = { median: number; p10: number; p90: number };
    type Row = { type: string; workers: number | 'trainLocal'; samplesPerSec: number; epochSamplesPerSec: Spread; shards: number; speedup: number; efficiency: number; stepMs: Spread; overheadUs: Spread; mathMs: Spread };
    const lines = jsonLines(r.stdout) as Row[];
    expect(lines.map((x) => x.workers ?? x.type)).toEqual(['trainLocal', 1, 2, 'projection']);
    const local = lines[0].samplesPerSec;
    const rows = lines.slice(1, 3);
    for (const x of rows) {
      // samples/s is the median of the timed epochs' own figures (as train prints them); speed-up is against trainLocal; efficiency is speed-up per worker
      expect(x.shards).toBe(2); // batch 32: the default 32 / 16
      expect(x.samplesPerSec).toBe(x.epochSamplesPerSec.median);
      expect(x.epochSamplesPerSec.p10).toBeLessThanOrEqual(x.epochSamplesPerSec.median);
      expect(x.epochSamplesPerSec.median).toBeLessThanOrEqual(x.epochSamplesPerSec.p90);
      expect(x.speedup).toBeCloseTo(x.samplesPerSec / local, 12);
      expect(x.efficiency).toBeCloseTo(x.speedup / (x.workers as number), 12);
      expect(x.overheadUs.p10).toBeLessThanOrEqual(x.overheadUs.median);
      expect(x.overheadUs.median).toBeLessThanOrEqual(x.overheadUs.p90);
    }
    // the projection, recomputed from the two rows: math split over W, serial time growing linearly
    const p = lines[3] as unknown as { efficiency: Record<string, number> };
    const [one, two] = rows;
    const math = one.mathMs.median * 1000;
    const slope = Math.max(0, two.overheadUs.median - one.overheadUs.median);
    for (const W of [4, 8, 16, 64]) {
      const want = (math + one.overheadUs.median) / (W * (math / W + one.overheadUs.median + slope * (W - 1)));
      expect(p.efficiency[W]).toBeCloseTo(want, 9);
    }
  });
});
