import { paramLayout } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import type { StepSnapshot } from '../src/training/session.js';
import { planWorkers } from '../src/training/shard-plan.js';
import { gradientPanel } from '../src/views/gradient-panel-model.js';

// Sizes [1, 2]: W⁰ is 1×2 at θ[0..2), b⁰ at θ[2..4), P = 4. V = 4 shards, W = 2 workers:
// worker 0 has shards 0–1, worker 1 has shards 2–3. Batch B = 5 → shard sizes 2, 1, 1, 1.
// Summed shard gradients of W⁰: G0 = (2, 4), G1 = (1, −1), G2 = (3, 2), G3 = (1, 4); each worker
// publishes the sum over its shards: worker 0 (3, 3), worker 1 (4, 6).
// By hand: worker 0: 3 samples, mean ((2+1)/3, (4−1)/3) = (1, 1), weight 3/5 = 0.6;
//          worker 1: 2 samples, mean ((3+1)/2, (2+4)/2) = (2, 3), weight 0.4;
//          average 0.6·(1, 1) + 0.4·(2, 3) = (1.4, 1.8) = ΣG/B = (7/5, 9/5).
function snapshot(avgW: [number, number], workers: number[][] = [[2 + 1, 4 - 1], [3 + 1, 2 + 4]]): StepSnapshot {
  const P = 4;
  const workerGrads = new Float32Array(workers.length * P);
  workers.forEach(([a, b], w) => workerGrads.set([a, b, 9, 9], w * P));
  return {
    before: Float32Array.from([1, 1, 0, 0]),
    params: Float32Array.from([0.86, 0.82, 0, 0]),
    workerGrads,
    publishedSums: workerGrads, // one published node per worker
    avgGrad: Float32Array.from([...avgW, 0, 0]),
    shardSizes: Uint32Array.from([2, 1, 1, 1]),
    replicas: [],
    t: 7,
    batchSize: 5,
    lr: 0.1,
  };
}

describe('averaging panel model', () => {
  const layout = paramLayout([1, 2]);
  const plan = planWorkers(4, layout.total, 2);

  it("shows each worker's mean gradient and share, and their size-weighted average", () => {
    const p = gradientPanel(snapshot([1.4, 1.8]), plan, layout, 0);
    expect([p.rows, p.cols, p.t, p.batchSize]).toEqual([1, 2, 7, 5]);
    expect(p.workers.map((w) => [w.worker, w.shards, w.samples, w.weight])).toEqual([
      [0, [0, 1], 3, 0.6],
      [1, [2, 3], 2, 0.4],
    ]);
    expect(Array.from(p.workers[0].mean)).toEqual([1, 1]);
    expect(Array.from(p.workers[1].mean)).toEqual([2, 3]);
    expect(p.average[0]).toBeCloseTo(1.4, 6);
    expect(p.average[1]).toBeCloseTo(1.8, 6);
    expect(p.deviation).toBeLessThan(1e-6);
    // Δθ = (0.86 − 1, 0.82 − 1) = −η·ḡ with η = 0.1
    expect(p.update[0]).toBeCloseTo(-0.14, 6);
    expect(p.update[1]).toBeCloseTo(-0.18, 6);
  });

  it('reports how far the reduced ḡ is from the average', () => {
    expect(gradientPanel(snapshot([1.4, 1.9]), plan, layout, 0).deviation).toBeCloseTo(0.1, 6);
  });

  it('gives a worker without shards zero weight and a zero mean', () => {
    const three = planWorkers(2, layout.total, 3); // 2 shards over 3 workers: the last has none
    // 2 shards of 3 and 2 samples: G0 = (3, 3), G1 = (4, 6); the third worker publishes nothing
    const snap = { ...snapshot([1.4, 1.8], [[3, 3], [4, 6], [0, 0]]), shardSizes: Uint32Array.from([3, 2, 0, 0]) };
    const p = gradientPanel(snap, three, layout, 0);
    expect(p.workers.map((w) => [w.shards, w.samples, w.weight])).toEqual([
      [[0], 3, 0.6],
      [[1], 2, 0.4],
      [[], 0, 0],
    ]);
    expect(Array.from(p.workers[2].mean)).toEqual([0, 0]);
  });
});
