import type { StepStatusValue } from '@shardgrad/worker';

/**
 * Runs training steps over the shared buffers, in-process or in a worker pool. Every
 * implementation computes the same virtual shards and reduces them in the same order, so all give
 * bit-identical parameters.
 */
export interface StepEngine {
  /** worker threads taking part (0 = in-process) */
  readonly workers: number;
  /**
   * One step t (1-based) on the batch order[start..end): G[s] and shardLoss[s] for every virtual
   * shard; then, if Σ shardLoss is finite, ḡ = ΣG/B and the optimizer update of every slice at `lr`.
   * Returns StepStatus: ok, lossNotFinite (θ untouched) or notFinite (ḡ or θ not finite).
   */
  step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue>;
  /** time spent in gradient and update math on the critical path of the last step (ms) */
  readonly lastMathMs: number;
  /** failed worker attempts that were run again (crashes, throws, injected faults) */
  readonly retries: number;
  close(): Promise<void>;
}

/** How pool workers are stepped: one long task with an Atomics barrier, or one message per phase. */
export type StepMode = 'barrier' | 'tasks';
