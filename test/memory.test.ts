import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs benchmark script without type declarations
import { memoryReport } from '../packages/coordinator/bench/memory.mjs';

interface Report {
  datasetBytes: number;
  gradientRegionBytes: number;
  workspaceBytesPerWorker: number;
  extraFor7WorkersOnMnist: number;
  extraFor7WorkersOnSmallData: number;
  datasetDependentExtra: number;
}

describe('memory: workers share the dataset, they do not copy it', () => {
  it('7 extra workers cost the same on MNIST (31.76 MB of inputs and targets) as on a 64-row set', () => {
    // four fresh processes: {1, 8} workers × {MNIST, 64 rows}, same 784-128-10 net, 30 steps each
    const r = memoryReport() as Report;
    console.log(JSON.stringify(r));
    // 10,000 × (784 + 10) float32 = 31,760,000 bytes
    expect(r.datasetBytes).toBe(31_760_000);
    // G: 16 shards × P = 101,770 floats × 4 bytes, shared and independent of the worker count
    expect(r.gradientRegionBytes).toBe(16 * 101_770 * 4);
    // per worker scratch: 4 rows × (784 + 10 + 4·(128 + 10)) floats × 4 bytes = 21,536 bytes
    expect(r.workspaceBytesPerWorker).toBe(21_536);
    // one copy of the dataset per extra worker would add 7 × 31.76 MB = 222 MB; we allow less than
    // one copy in total for measurement noise (the measured difference is well under 1 MB)
    expect(r.datasetDependentExtra).toBeLessThan(r.datasetBytes);
    // and the extra threads do cost something (V8 isolates): the measurement sees them
    expect(r.extraFor7WorkersOnSmallData).toBeGreaterThan(7 * r.workspaceBytesPerWorker);
  });
});
