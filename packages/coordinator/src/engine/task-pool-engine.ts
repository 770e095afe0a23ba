import { ExitCode, paramLayout, ShardgradError } from '@shardgrad/core';
import { paramSlice, shardRange, StepStatus, type RunnerInit, type RunnerReply, type RunnerTask, type StepStatusValue } from '@shardgrad/worker';
import type { Piscina } from 'piscina';
import type { StepEngine } from './step-engine.js';
import { createWorkerPool, MAX_ATTEMPTS } from './worker-pool.js';

/**
 * Step mode "tasks": per step, one piscina message per worker for the gradients, then (the barrier
 * is the Promise.all) one per worker for reduce + update. Simple and robust, but every phase costs a
 * message round trip — see the barrier engine for small batches.
 */
export class TaskPoolEngine implements StepEngine {
  lastMathMs = 0;
  retries = 0;
  private readonly pool: Piscina<RunnerTask, RunnerReply>;
  /** per worker task: [s0, s1) of the V shards and [p0, p1) of the P parameters, fixed for the run */
  private readonly shardBlocks: [number, number][];
  private readonly slices: [number, number][];

  constructor(
    readonly workers: number,
    private readonly init: RunnerInit,
  ) {
    this.pool = createWorkerPool(workers, init);
    const P = paramLayout(init.spec.sizes).total;
    this.shardBlocks = Array.from({ length: workers }, (_, w) => shardRange(0, init.V, workers, w));
    this.slices = Array.from({ length: workers }, (_, w) => paramSlice(P, workers, w));
  }

  /** Runs a gradient task, retrying it (on a replacement worker if the thread died) up to MAX_ATTEMPTS. */
  private async runGradient(w: number, step: number, start: number, end: number): Promise<number> {
    const [s0, s1] = this.shardBlocks[w];
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.pool.run({ kind: 'gradient', w, step, attempt, s0, s1, start, end })).mathMs;
      } catch (e) {
        if (attempt + 1 >= MAX_ATTEMPTS)
          throw new ShardgradError(`worker ${w} failed ${MAX_ATTEMPTS} times at step ${step}: ${(e as Error).message}`, ExitCode.trainingFailed);
        this.retries++;
      }
    }
  }

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    const grads: Promise<number>[] = [];
    for (let w = 0; w < this.workers; w++) if (this.shardBlocks[w][1] > this.shardBlocks[w][0]) grads.push(this.runGradient(w, t, start, end));
    const gradMs = Math.max(...(await Promise.all(grads)));
    let loss = 0;
    for (let s = 0; s < this.init.V; s++) loss += this.init.buffers.shardLoss[s];
    if (!Number.isFinite(loss)) return StepStatus.lossNotFinite;
    const updates: Promise<RunnerReply>[] = [];
    for (let w = 0; w < this.workers; w++) {
      const [p0, p1] = this.slices[w];
      updates.push(this.pool.run({ kind: 'update', w, step: t, attempt: 0, p0, p1, batchSize: end - start, lr }));
    }
    let replies: RunnerReply[];
    try {
      replies = await Promise.all(updates);
    } catch (e) {
      // an update is not idempotent (θ −= η·ḡ), so a slice half-updated by a dead worker cannot be redone
      throw new ShardgradError(
        `a worker failed while updating the parameters at step ${t} (${(e as Error).message}); resume from the last checkpoint`,
        ExitCode.trainingFailed,
      );
    }
    let finite = true;
    let updateMs = 0;
    for (const r of replies) {
      finite &&= r.finite;
      updateMs = Math.max(updateMs, r.mathMs);
    }
    this.lastMathMs = gradMs + updateMs;
    return finite ? StepStatus.ok : StepStatus.notFinite;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
