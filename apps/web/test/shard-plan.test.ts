import { describe, expect, it } from 'vitest';
import { planWorkers } from '../src/training/shard-plan.js';

describe('worker plan', () => {
  it('splits V shards into contiguous balanced blocks and P parameters on 16-float cache lines', () => {
    // V = 8 over 3: 3, 3, 2 shards; P = 100 is 7 lines of 16 (the last one short) over 3: 3, 2, 2 lines
    expect(planWorkers(8, 100, 3)).toEqual([
      { s0: 0, s1: 3, p0: 0, p1: 48 },
      { s0: 3, s1: 6, p0: 48, p1: 80 },
      { s0: 6, s1: 8, p0: 80, p1: 100 },
    ]);
  });

  it('cuts the slices on the noise estimate’s blocks (1024 parameters: the engine passes sliceAlign) when the run measures it (as the engine does)', () => {
    // P = 10000 is 3 blocks (4096, 4096, 1808) over 3 workers: one each
    expect(planWorkers(8, 10000, 3, 4096).map((p) => [p.p0, p.p1])).toEqual([[0, 4096], [4096, 8192], [8192, 10000]]);
    // 354 parameters are one block: the first worker updates them all
    expect(planWorkers(16, 354, 2, 4096).map((p) => [p.p0, p.p1])).toEqual([[0, 354], [354, 354]]);
  });

  it('gives one worker everything', () => {
    expect(planWorkers(8, 354, 1)).toEqual([{ s0: 0, s1: 8, p0: 0, p1: 354 }]);
  });
});
