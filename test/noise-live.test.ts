// The engine's live gradient noise scale (issue 20): from the two halves at the top of the
// reduction tree, the same bits for every worker count, equal to an independent float64
// computation, and a pure read (the weights do not change with it).
import { nodeEngine, TrainingRun, type StepEvent } from '@shardgrad/coordinator';
import { mlpSpec, NOISE_BLOCK, noiseHalvesPartials, optimizerConfig, referenceKernels, type MLPSpec } from '@shardgrad/core';
import { createKernels } from '@shardgrad/worker';
import { nativeIsas } from '@shardgrad/native';
import { train } from 'shardgrad';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { jsonLines, runCli, tempDir } from './cli-helpers.js';

/** A seeded LCG in [−1, 1). */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31), (2 * s) / 2 ** 31 - 1);
}

/** N rows of D inputs and C one-hot targets (the class from a fixed rule plus noise). */
function rows(N: number, D: number, C: number, seed: number) {
  const r = rng(seed);
  const X = new Float32Array(new SharedArrayBuffer(N * D * 4));
  const Y = new Float32Array(new SharedArrayBuffer(N * C * 4));
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      X[n * D + d] = r();
      s += X[n * D + d] * (d % 3 === 0 ? 1 : -0.5);
    }
    const c = Math.min(C - 1, Math.max(0, Math.floor((s + r() * 0.5 + 1) * C * 0.5)));
    Y[n * C + c] = 1;
  }
  return { X, Y, train: Uint32Array.from({ length: N }, (_, i) => i), val: new Uint32Array(0) };
}

function settingsOf(spec: MLPSpec, batch: number, shards: number, epochs = 1) {
  return { spec, optimizer: optimizerConfig('sgd'), lr: 0.1, schedule: { kind: 'constant' } as const, batch, epochs, shards, seed: 3, init: 'glorot' as const };
}

/** Every step event of a run with `workers` threads (0: in-process), and θ at the end. */
async function runOnce(spec: MLPSpec, data: ReturnType<typeof rows>, batch: number, shards: number, workers: number, noiseEvery: number, initialParams?: Float32Array, kernel: 'auto' | 'native' | 'wasm' | 'reference' = 'auto') {
  const run = await TrainingRun.create(settingsOf(spec, batch, shards), data, {
    workers,
    kernel,
    engine: nodeEngine(workers),
    evalKernels: referenceKernels,
    noiseEvery,
    ...(initialParams ? { initialParams } : {}),
  });
  const steps: StepEvent[] = [];
  try {
    while (!run.finished) await run.advance({ onStep: (e) => steps.push(e) });
    return { steps, params: run.params(), order: Uint32Array.from(run.data.order), noise: run.noise };
  } finally {
    await run.close();
  }
}

/**
 * The paper's estimate in float64, written here from its definition (McCandlish et al. 2018,
 * App. A.1): per-row gradients of the softmax cross-entropy of a one-hidden-layer ReLU net by the
 * chain rule, the two groups' mean gradients and the batch's, tr(Σ) = Σ_k b_k·|G_k − G_B|²/(K − 1),
 * |G|² = |G_B|² − tr(Σ)/B.
 */
function float64Estimate(theta: Float32Array, sizes: number[], X: Float32Array, Y: Float32Array, batchRows: number[][]) {
  const [D, H, C] = sizes;
  const P = D * H + H + H * C + C;
  const W1 = (i: number, j: number) => theta[i * H + j];
  const b1 = (j: number) => theta[D * H + j];
  const W2 = (j: number, c: number) => theta[D * H + H + j * C + c];
  const b2 = (c: number) => theta[D * H + H + H * C + c];
  const groupMean = (group: number[]) => {
    const g = new Float64Array(P);
    for (const n of group) {
      const x = Array.from({ length: D }, (_, i) => X[n * D + i]);
      const v1 = Array.from({ length: H }, (_, j) => x.reduce((s, xi, i) => s + xi * W1(i, j), b1(j)));
      const y1 = v1.map((v) => Math.max(0, v));
      const v2 = Array.from({ length: C }, (_, c) => y1.reduce((s, yj, j) => s + yj * W2(j, c), b2(c)));
      const top = Math.max(...v2);
      const e = v2.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      const d2 = e.map((ei, c) => ei / sum - Y[n * C + c]); // ∂ℓ/∂v2 of softmax + cross-entropy
      const d1 = y1.map((_, j) => (v1[j] > 0 ? d2.reduce((s, dc, c) => s + dc * W2(j, c), 0) : 0));
      for (let i = 0; i < D; i++) for (let j = 0; j < H; j++) g[i * H + j] += x[i] * d1[j];
      for (let j = 0; j < H; j++) g[D * H + j] += d1[j];
      for (let j = 0; j < H; j++) for (let c = 0; c < C; c++) g[D * H + H + j * C + c] += y1[j] * d2[c];
      for (let c = 0; c < C; c++) g[D * H + H + H * C + c] += d2[c];
    }
    return g.map((s) => s / group.length);
  };
  const groups = batchRows.map(groupMean);
  const B = batchRows.reduce((s, g) => s + g.length, 0);
  const all = new Float64Array(P);
  groups.forEach((g, k) => g.forEach((x, p) => (all[p] += (x * batchRows[k].length) / B)));
  const sq = (v: Float64Array) => v.reduce((s, x) => s + x * x, 0);
  const traceSigma = groups.reduce((s, g, k) => s + batchRows[k].length * sq(g.map((x, p) => x - all[p])), 0) / (groups.length - 1);
  const gradSq = sq(all) - traceSigma / B;
  return { gradSq, traceSigma, bSimple: traceSigma / gradSq };
}

/** Shard s's first row of a batch of B rows in V shards (nearly equal, the first B mod V one longer). */
const shardStart = (B: number, V: number, s: number) => s * Math.floor(B / V) + Math.min(s, B % V);

/** Whether the native kernels were built on this machine. */
const hasNative = () => nativeIsas().length > 0;

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const bitsOf = (steps: readonly StepEvent[]) => steps.map((e) => (e.noise ? Buffer.from(Float64Array.of(e.noise.gradSq, e.noise.traceSigma).buffer).toString('hex') : 'none'));

describe('the live gradient noise scale', () => {
  it('step 1 equals the float64 estimate from its two tree halves to 1e-5 (V = 5 shards of a batch of 23: halves of 19 and 4 rows)', async () => {
    const spec = mlpSpec([6, 9, 4], 'relu', 'softmax', 'ce');
    const data = rows(69, 6, 4, 11);
    const r = rng(5);
    const theta = Float32Array.from({ length: 6 * 9 + 9 + 9 * 4 + 4 }, () => 0.6 * r());
    const { steps, order } = await runOnce(spec, data, 23, 5, 0, 1, theta);
    // the root of 5 shards splits at 4 (the largest power of two below 5): rows [0, 19) and [19, 23)
    const split = shardStart(23, 5, 4);
    expect(split).toBe(19);
    const batch = Array.from(order.subarray(0, 23));
    const want = float64Estimate(theta, [6, 9, 4], data.X, data.Y, [batch.slice(0, split), batch.slice(split)]);
    const got = steps[0].noise!;
    expect(rel(got.traceSigma, want.traceSigma)).toBeLessThan(1e-5);
    expect(rel(got.gradSq, want.gradSq)).toBeLessThan(1e-5);
    expect(rel(got.bSimple, want.bSimple)).toBeLessThan(1e-5);
    // the moving average after one step is that step's estimate (bias-corrected)
    expect(rel(steps[0].noiseEma!.traceSigma, got.traceSigma)).toBeLessThan(1e-12);
  });

  it('the same bits for workers 0, 1, 2, 3, 4 and 8 on every step (P = 15 010: 15 blocks of 1024), and the weights equal those of a run without it', async () => {
    const spec = mlpSpec([64, 200, 10], 'relu', 'softmax', 'ce');
    const data = rows(600, 64, 10, 2);
    const runs = [];
    for (const w of [0, 1, 2, 3, 4, 8]) runs.push(await runOnce(spec, data, 64, 8, w, 1));
    const want = bitsOf(runs[0].steps);
    expect(want).toHaveLength(10); // 600 rows / 64: 9 full batches and one of 24
    expect(want.every((b) => b !== 'none')).toBe(true);
    for (const r of runs.slice(1)) expect(bitsOf(r.steps)).toEqual(want);
    const off = await runOnce(spec, data, 64, 8, 2, 0);
    expect(off.steps.some((e) => e.noise !== undefined || e.noiseEma !== undefined)).toBe(false);
    expect(off.noise).toBeUndefined();
    expect(Buffer.from(off.params.buffer).equals(Buffer.from(runs[0].params.buffer))).toBe(true);
    // B_simple is positive and finite on average over the epoch (tr(Σ) > 0 always)
    expect(runs[0].steps.every((e) => e.noise!.traceSigma > 0)).toBe(true);
    expect(Number.isFinite(runs[0].noise!.bSimple)).toBe(true);
  });

  it('the library: step and epoch events carry it, model.info.noise is the last step\'s moving average; noiseEvery 0 leaves it out', async () => {
    const x = Array.from({ length: 96 }, (_, i) => [Math.sin(i), Math.cos(i * 0.3), ((i * 7) % 11) / 5]);
    const y = x.map(([a, b]) => (a + b > 0 ? 1 : 0));
    const steps: StepEvent[] = [];
    const epochs: { noise?: unknown }[] = [];
    const model = await train({ x, y, hidden: [8], batch: 16, epochs: 2, workers: 2, shards: 4, noiseEvery: 1, onStep: (e) => steps.push(e), onEpoch: (e) => epochs.push(e) });
    expect(steps).toHaveLength(12);
    expect(steps.every((e) => e.noise && e.noiseEma && e.noise.traceSigma > 0)).toBe(true);
    expect(epochs.map((e) => e.noise)).toEqual([steps[5].noiseEma, steps[11].noiseEma]);
    expect(model.info.noise).toEqual(steps[11].noiseEma);
    const off = await train({ x, y, hidden: [8], batch: 16, epochs: 1, workers: 2, shards: 4, noiseEvery: 0 });
    expect(off.info.noise).toBeUndefined();
    await expect(train({ x, y, noiseEvery: -1 })).rejects.toThrow('noiseEvery: must be a non-negative integer (0 = off), got -1');
  });

  it('shardgrad train: --json step and epoch lines and the summary carry it; the text epoch lines and summary name B_simple', () => {
    const dir = tempDir('noise-live');
    const base = ['train', '--data', 'xor:200', '--hidden', '8', '--epochs', '2', '--batch', '32', '--workers', '2', '--lr', '0.3', '--noise-every', '1'];
    const r = runCli([...base, '--json', '--out', path.join(dir, 'a.sgm')]);
    expect(r.status, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const steps = lines.filter((o) => o.type === 'step');
    expect(steps).toHaveLength(10); // 160 training rows of xor:200, batch 32: 5 steps an epoch
    for (const o of steps) expect(Object.keys(o.noise as object)).toEqual(['gradSq', 'traceSigma', 'bSimple']);
    const lastStep = steps[steps.length - 1];
    expect(lines.filter((o) => o.type === 'epoch').pop()!.noise).toEqual(lastStep.noiseEma);
    expect(lines.find((o) => o.type === 'summary')!.noise).toEqual(lastStep.noiseEma);
    const text = runCli([...base, '--out', path.join(dir, 'b.sgm')]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^epoch 2\/2 .* B_simple -?[0-9.]+ /m);
    expect(text.stdout).toMatch(/^gradient noise scale B_simple -?[0-9.]+ at the end \(\|G\|² .*; batch 32\): /m);
    const off = runCli([...base.slice(0, -2), '--noise-every', '0', '--json', '--out', path.join(dir, 'c.sgm')]);
    // the default: every 8th step (10 steps: step 8 only)
    const byDefault = runCli([...base.slice(0, -2), '--json', '--out', path.join(dir, 'd.sgm')]);
    expect(jsonLines(byDefault.stdout).filter((o) => o.type === 'step' && 'noise' in o).map((o) => o.step)).toEqual([8]);
    expect(jsonLines(off.stdout).some((o) => 'noise' in o)).toBe(false);
  });

  it('the same bits with every kernel: the wasm f64x2 pass, the JavaScript loop and the native AVX pass (where built) over the same halves', async () => {
    const P = 3 * NOISE_BLOCK + 234; // 4 blocks, the last one short and not a multiple of 8
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true });
    const r = rng(21);
    const a = new Float32Array(memory.buffer, 1 << 16, P).map(() => r() * 1e-2);
    const b = new Float32Array(memory.buffer, (1 << 16) + 4 * P + 64, P).map(() => r());
    const partialsAt = (1 << 16) + 8 * P + 1024;
    const results: string[] = [];
    for (const kernel of ['reference', 'wasm', ...(hasNative() ? ['native' as const] : [])] as const) {
      const { kernels } = await createKernels(kernel, memory, { byteOffset: partialsAt + 4096, bytes: 1 << 20 });
      for (const [rowsA, rowsB, b0, b1] of [[32, 32, 0, 4], [19, 4, 1, 4], [7, 0, 0, 2]]) {
        const partials = new Float64Array(memory.buffer, partialsAt, 8).fill(NaN);
        if (!kernels.noiseHalves?.(a, b, rowsA, rowsB, P, b0, b1, partials)) noiseHalvesPartials(a, b, rowsA, rowsB, P, b0, b1, partials);
        results.push(`${kernel} ${rowsA}/${rowsB} [${b0}, ${b1}): ${Buffer.from(partials.slice().buffer).toString('hex')}`);
      }
    }
    const byCase = (k: string) => results.filter((x) => x.startsWith(k + ' ')).map((x) => x.slice(x.indexOf(' ')));
    expect(byCase('wasm')).toEqual(byCase('reference'));
    if (hasNative()) expect(byCase('native')).toEqual(byCase('reference'));
    // the untouched blocks stay NaN; the partials are the definition's sums (checked here in float64, in index order)
    const [u, v] = [0, 1].map((k) => {
      let s = 0;
      for (let i = NOISE_BLOCK; i < 2 * NOISE_BLOCK; i++) {
        const x = k === 0 ? a[i] + b[i] : a[i] / 19 - b[i] / 4;
        s += x * x;
      }
      return s;
    });
    const p = new Float64Array(Uint8Array.from(Buffer.from(byCase('reference')[1].split(': ')[1], 'hex')).buffer);
    expect([Number.isNaN(p[0]), rel(p[2], u / 23 / 23) < 1e-12, rel(p[3], ((19 * 4) / 23) * v) < 1e-12]).toEqual([true, true, true]);
  });

  it('--noise-every 3 measures steps 3, 6 and 9 only; the average is of those', async () => {
    const spec = mlpSpec([64, 200, 10], 'relu', 'softmax', 'ce');
    const data = rows(600, 64, 10, 2);
    const every1 = await runOnce(spec, data, 64, 8, 2, 1);
    const every3 = await runOnce(spec, data, 64, 8, 2, 3);
    expect(every3.steps.filter((e) => e.noise).map((e) => e.step)).toEqual([3, 6, 9]);
    // the measured steps' estimates are those of the every-step run (same θ, same batch)
    for (const e of every3.steps.filter((x) => x.noise)) expect(e.noise).toEqual(every1.steps[e.step - 1].noise);
    // an average of three: (0.01·x3·0.99² + 0.01·x6·0.99 + 0.01·x9) / (1 − 0.99³)
    const [a, b, c] = [3, 6, 9].map((s) => every1.steps[s - 1].noise!.traceSigma);
    const w = 1 - 0.99 ** 3;
    expect(rel(every3.noise!.traceSigma, (0.01 * (a * 0.99 ** 2 + b * 0.99 + c)) / w)).toBeLessThan(1e-12);
  });
});
