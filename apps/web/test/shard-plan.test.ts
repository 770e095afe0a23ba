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

  it('gives one worker everything', () => {
    expect(planWorkers(8, 354, 1)).toEqual([{ s0: 0, s1: 8, p0: 0, p1: 354 }]);
  });
});
