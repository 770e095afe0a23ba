import { accumulateGradient, bindWorkspace, createWorkspace, initParams, mlpSpec, optimizerConfig, paramLayout, referenceKernels, Rng } from '@shardgrad/core';
import { createRunMemory, layoutRun, partialView, runViews, shardRange, WorkerStep } from '@shardgrad/worker';
import { describe, expect, it } from 'vitest';

describe('virtual shards', () => {
  it('cut a batch into contiguous ranges whose sizes differ by at most one', () => {
    expect([0, 1, 2].map((s) => shardRange(10, 18, 3, s))).toEqual([[10, 13], [13, 16], [16, 18]]);
    expect([0, 1, 2, 3].map((s) => shardRange(0, 2, 4, s))).toEqual([[0, 1], [1, 2], [2, 2], [2, 2]]);
  });
});

describe('the teaching fact: the size-weighted average of shard gradients is the mini-batch gradient', () => {
  const spec = mlpSpec([4, 6, 3], 'tanh', 'softmax', 'ce');
  const layout = paramLayout(spec.sizes);
  const P = layout.total;
  const rng = new Rng(5);
  const N = 8;
  const X = Float32Array.from({ length: N * 4 }, () => rng.uniform(-1, 1));
  const Y = new Float32Array(N * 3);
  for (let r = 0; r < N; r++) Y[r * 3 + rng.int(3)] = 1;
  const params = new Float32Array(P);
  initParams(params, layout, 'glorot', 9);
  const order = Uint32Array.from([5, 2, 7, 0, 3, 1, 6, 4]);

  // the whole batch in one single-process pass, divided by its size
  const full = new Float64Array(P);
  {
    const g = new Float32Array(P);
    const ws = createWorkspace(spec, N);
    bindWorkspace(ws, params, g);
    accumulateGradient(spec, ws, X, Y, order, 0, N, referenceKernels);
    for (let i = 0; i < P; i++) full[i] = g[i] / N;
  }

  it('for uneven shards of 3, 3 and 2 samples, within 1e-6 relative', () => {
    // three workers, one virtual shard each: each worker publishes its shard's summed gradient G_s
    const V = 3;
    const layout = layoutRun({ spec, V, W: V, batch: N, optimizer: optimizerConfig('sgd') });
    const memory = createRunMemory(layout, false);
    const run = runViews(memory, layout);
    run.params.set(params);
    const data = { X, Y, order, shardLoss: new Float64Array(V) };
    const steps = [0, 1, 2].map((w) => new WorkerStep(layout, memory, w, referenceKernels, data));
    expect([0, 1, 2].map((s) => shardRange(0, N, V, s))).toEqual([[0, 3], [3, 6], [6, 8]]);
    for (const s of steps) s.gradients(0, N);
    const G = [0, 1, 2].map((w) => Float32Array.from(partialView(memory, layout, w, 0)));
    // each shard's mean gradient, weighted by its size: (3·ḡ₀ + 3·ḡ₁ + 2·ḡ₂) / 8
    const weighted = new Float64Array(P);
    for (let i = 0; i < P; i++) weighted[i] = (3 * (G[0][i] / 3) + 3 * (G[1][i] / 3) + 2 * (G[2][i] / 2)) / 8;
    const lr = 0.5;
    for (const s of steps) s.update(N, lr, 1);
    let worst = 0;
    let worstUpdate = 0;
    for (let i = 0; i < P; i++) {
      worst = Math.max(worst, Math.abs(weighted[i] - full[i]) / Math.max(Math.abs(full[i]), 1e-4));
      worst = Math.max(worst, Math.abs(run.avgGrad[i] - full[i]) / Math.max(Math.abs(full[i]), 1e-4));
      worstUpdate = Math.max(worstUpdate, Math.abs(run.params[i] - (params[i] - lr * full[i])));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(worstUpdate).toBeLessThan(1e-6);
    // and it is not trivially true: a plain (unweighted) mean of the three shard means differs
    const unweighted = (G[0][0] / 3 + G[1][0] / 3 + G[2][0] / 2) / 3;
    expect(Math.abs(unweighted - full[0])).toBeGreaterThan(1e-4 * Math.abs(full[0]));
  });
});
