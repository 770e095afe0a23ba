import { describe, expect, it } from 'vitest';
import { planWorkers } from '../src/training/shard-plan.js';

describe('worker plan', () => {
  it('splits V shards and P parameters into contiguous balanced blocks', () => {
    // V = 8 over 3: 3, 3, 2 shards; P = 10 over 3: 4, 3, 3 parameters
    expect(planWorkers(8, 10, 3)).toEqual([
      { s0: 0, s1: 3, p0: 0, p1: 4 },
      { s0: 3, s1: 6, p0: 4, p1: 7 },
      { s0: 6, s1: 8, p0: 7, p1: 10 },
    ]);
  });

  it('gives one worker everything', () => {
    expect(planWorkers(8, 354, 1)).toEqual([{ s0: 0, s1: 8, p0: 0, p1: 354 }]);
  });
});
