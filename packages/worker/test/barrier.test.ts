import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { barrierPath, createControlBlock } from '../src/barrier.js';

describe("the workers' barrier", () => {
  it('arrival tree: up to 4 workers one node; above, nodes of at most 4 arrivals, their last arrival going up to one root', () => {
    const { arrivals } = createControlBlock(16);
    const line = 16; // counters a cache line (64 bytes) apart
    // 3 workers: one node waiting for 3
    expect(barrierPath(arrivals, 3, 2)).toMatchObject({ at: [0], need: [3] });
    // 16 workers: 4 nodes of 4 at the bottom (nodes 0–3), then the root (node 4) waits for those 4
    expect(barrierPath(arrivals, 16, 0)).toMatchObject({ at: [0, 4 * line], need: [4, 4] });
    expect(barrierPath(arrivals, 16, 13)).toMatchObject({ at: [3 * line, 4 * line], need: [4, 4] });
    // 9 workers: nodes of 4, 4 and 1, then a root waiting for 3
    expect(barrierPath(arrivals, 9, 8)).toMatchObject({ at: [2 * line, 3 * line], need: [1, 3] });
    expect(barrierPath(arrivals, 9, 5)).toMatchObject({ at: [1 * line, 3 * line], need: [4, 3] });
    // 17 workers: 5 nodes, then 2 (of 4 and 1), then the root of 2
    expect(barrierPath(createControlBlock(17).arrivals, 17, 16)).toMatchObject({ at: [4 * line, 6 * line, 7 * line], need: [1, 1, 2] });
    // every node's waited-for arrivals are the workers (or nodes) that reach it
    for (const W of [1, 2, 4, 5, 8, 9, 16, 17, 33]) {
      const counts = new Map<number, number>();
      const { arrivals: a } = createControlBlock(W);
      const paths = Array.from({ length: W }, (_, w) => barrierPath(a, W, w));
      for (const p of paths) counts.set(p.at[0], (counts.get(p.at[0]) ?? 0) + 1);
      for (const p of paths) expect(p.need[0]).toBe(counts.get(p.at[0]));
      expect(Math.max(...paths.map((p) => p.at.at(-1)!))).toBeLessThan(a.length);
    }
  });

  it.each([
    [6, 0],
    [6, 100],
    [9, 0],
  ])('%i threads (polling %i µs), 300 barriers: nobody leaves one before all arrived, and the last arrival runs first', async (W, spin) => {
    const control = createControlBlock(W);
    // per barrier b: arrived[b] counts arrivals; each thread, once past barrier b, checks arrived[b] = W and that the last one's mark is there
    const rounds = 300;
    const arrived = new Int32Array(new SharedArrayBuffer(rounds * 4));
    const marked = new Int32Array(new SharedArrayBuffer(rounds * 4));
    const bad = new Int32Array(new SharedArrayBuffer(4));
    const url = new URL('../dist/barrier.js', import.meta.url).href;
    const code = `
      const { workerData } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then(({ arriveAndWait, barrierPath }) => {
        const { ctrl, arrivals, W, w, rounds, arrived, marked, bad, spin } = workerData;
        const path = barrierPath(arrivals, W, w);
        for (let b = 0; b < rounds; b++) {
          Atomics.add(arrived, b, 1);
          arriveAndWait(ctrl, path, spin, () => Atomics.store(marked, b, 1));
          if (Atomics.load(arrived, b) !== W || Atomics.load(marked, b) !== 1) Atomics.add(bad, 0, 1);
        }
      });`;
    await Promise.all(
      Array.from({ length: W }, (_, w) => new Promise((resolve, reject) => {
        new Worker(code, { eval: true, workerData: { ctrl: control.ctrl, arrivals: control.arrivals, W, w, rounds, arrived, marked, bad, spin } }).on('exit', resolve).on('error', reject);
      })),
    );
    expect(Array.from(arrived)).toEqual(new Array(rounds).fill(W));
    expect(bad[0]).toBe(0);
  });
});
