// Per-step overhead (time outside gradient math) of the worker pool, for 0 (in-process), 1, 2 and 8
// workers, in both step modes (barrier: one long task per worker and an Atomics barrier; tasks: a
// piscina message per phase): a tiny net where the math is ~nothing, and the default MNIST net at
// batch 64 and 256.
// Run: pnpm build && node packages/coordinator/bench/overhead.mjs  → JSON on stdout.
import { benchmarkWorkers } from '@shardgrad/coordinator';
import { mlpSpec } from '@shardgrad/core';
import os from 'node:os';

const cases = [
  { name: 'tiny 2-8-2, batch 32', spec: mlpSpec([2, 8, 2], 'relu', 'softmax', 'ce'), batch: 32, steps: 400 },
  { name: 'mnist 784-128-10, batch 64', spec: mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce'), batch: 64, steps: 60 },
  { name: 'mnist 784-128-10, batch 256', spec: mlpSpec([784, 128, 10], 'relu', 'softmax', 'ce'), batch: 256, steps: 30 },
];
const out = { node: process.version, cpus: os.cpus().length, kernel: 'reference', shards: 16, cases: [] };
for (const c of cases) {
  const round = (s) => ({ median: +s.median.toFixed(3), p10: +s.p10.toFixed(3), p90: +s.p90.toFixed(3) });
  {
    const rows = await benchmarkWorkers({ spec: c.spec, batch: c.batch, steps: c.steps, workerCounts: [0, 1, 2, 8], kernel: 'reference' });
    out.cases.push({
      name: c.name,
      rows: rows.map((r) => ({ workers: r.workers, samplesPerSec: Math.round(r.samplesPerSec), speedup: +r.speedup.toFixed(2), stepMs: round(r.stepMs), mathMs: round(r.mathMs), overheadUs: round(r.overheadUs) })),
    });
  }
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
