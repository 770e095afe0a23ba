import { paramSlice, shardRange } from '@shardgrad/worker';

/** Which virtual shards and which parameter slice each of W workers handles. */
export interface WorkerPlan {
  /** virtual shards s0 ≤ s < s1 */
  readonly s0: number;
  readonly s1: number;
  /** parameter slice p0 ≤ i < p1 it reduces and updates */
  readonly p0: number;
  readonly p1: number;
}

/**
 * Worker w gets a contiguous block of the V virtual shards and a contiguous slice of the P
 * parameters, both balanced to within one. Together the blocks cover every shard once and the
 * slices every parameter once, so the step's result does not depend on W.
 */
export function planWorkers(V: number, P: number, W: number): WorkerPlan[] {
  return Array.from({ length: W }, (_, w) => {
    const [s0, s1] = shardRange(0, V, W, w);
    const [p0, p1] = paramSlice(P, W, w);
    return { s0, s1, p0, p1 };
  });
}
