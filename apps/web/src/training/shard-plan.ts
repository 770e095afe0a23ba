import { paramSlice, workerShards } from '@shardgrad/worker';

/** Which virtual shards and which parameter slice each of W workers handles. */
export interface WorkerPlan {
  /** virtual shards s0 ≤ s < s1 */
  readonly s0: number;
  readonly s1: number;
  /** parameter slice p0 ≤ i < p1 it finishes and updates */
  readonly p0: number;
  readonly p1: number;
}

/**
 * Worker w gets a contiguous block of the V virtual shards (balanced to within one) and a
 * contiguous slice of the P parameters (cut on 16-float cache lines, or on `align` floats: the
 * run's sliceAlign, the noise estimate's blocks when it is on), exactly as the engine's WorkerStep
 * does. Together the blocks cover every shard once and the slices every parameter once.
 */
export function planWorkers(V: number, P: number, W: number, align?: number): WorkerPlan[] {
  return Array.from({ length: W }, (_, w) => {
    const [s0, s1] = workerShards(V, W, w);
    const [p0, p1] = paramSlice(P, W, w, align);
    return { s0, s1, p0, p1 };
  });
}
