/**
 * Runs the two phases of a training step over the shared buffers, in-process or in a worker pool.
 * Both implementations compute the same shards and reduce in the same order, so they give
 * bit-identical parameters.
 */
export interface StepEngine {
  /** workers taking part (0 = in-process) */
  readonly workers: number;
  /** Phase 1: G[s] and shardLoss[s] for every virtual shard of the batch order[start..end). */
  gradients(step: number, start: number, end: number): Promise<void>;
  /** Phase 2: ḡ = ΣG/B and the optimizer update of every slice; false if ḡ or θ became non-finite. */
  update(step: number, batchSize: number, lr: number): Promise<boolean>;
  /** time spent in gradient and update math on the critical path of the last step (ms) */
  readonly lastMathMs: number;
  /** tasks that failed and were run again (worker crashes, injected faults) */
  readonly retries: number;
  close(): Promise<void>;
}
