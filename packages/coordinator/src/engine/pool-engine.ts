import { createRequire } from 'node:module';
import { ExitCode, paramLayout, ShardgradError, type MLPSpec, type OptimizerConfig } from '@shardgrad/core';
import { paramSlice, shardRange, type KernelChoice, type RunnerInit, type RunnerReply, type RunnerTask, type SharedTrainingBuffers } from '@shardgrad/worker';
import { Piscina } from 'piscina';
import type { StepEngine } from './step-engine.js';

/** A task is tried this many times before the run fails (a crash is retried on a fresh worker). */
export const MAX_ATTEMPTS = 3;

function runnerPath(): string {
  return createRequire(import.meta.url).resolve('@shardgrad/worker/runner');
}

/**
 * W piscina worker threads over the shared buffers. Per step, worker task w computes the whole
 * virtual shards [s0, s1) it was given, then (after all have finished: the barrier is the
 * Promise.all) reduces G in the fixed order s = 0..V−1 for its parameter slice and updates it.
 * Which shards and which slice a task covers depends only on (V, W), never on which thread runs it.
 */
export class PoolEngine implements StepEngine {
  lastMathMs = 0;
  retries = 0;
  private readonly pool: Piscina<RunnerTask, RunnerReply>;
  /** per worker task: [s0, s1) of the V shards and [p0, p1) of the P parameters, fixed for the run */
  private readonly shardBlocks: [number, number][];
  private readonly slices: [number, number][];
  private gradMs = 0;

  constructor(
    readonly workers: number,
    spec: MLPSpec,
    V: number,
    buffers: SharedTrainingBuffers,
    optimizer: OptimizerConfig,
    capacity: number,
    kernel: KernelChoice,
  ) {
    const init: RunnerInit = { spec, V, buffers, optimizer, capacity, kernel };
    this.pool = new Piscina<RunnerTask, RunnerReply>({
      filename: runnerPath(),
      workerData: init, // shared buffers inside are shared, not copied
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 2 ** 31 - 1, // between steps every worker is idle: never shut them down
      concurrentTasksPerWorker: 1,
      atomics: 'sync', // gradient code is synchronous; idle workers park in Atomics.wait
    });
    const P = paramLayout(spec.sizes).total;
    this.shardBlocks = Array.from({ length: workers }, (_, w) => shardRange(0, V, workers, w));
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

  async gradients(step: number, start: number, end: number): Promise<void> {
    const jobs: Promise<number>[] = [];
    for (let w = 0; w < this.workers; w++) if (this.shardBlocks[w][1] > this.shardBlocks[w][0]) jobs.push(this.runGradient(w, step, start, end));
    const ms = await Promise.all(jobs);
    this.gradMs = Math.max(...ms);
  }

  async update(step: number, batchSize: number, lr: number): Promise<boolean> {
    const jobs: Promise<RunnerReply>[] = [];
    for (let w = 0; w < this.workers; w++) {
      const [p0, p1] = this.slices[w];
      jobs.push(this.pool.run({ kind: 'update', w, step, attempt: 0, p0, p1, batchSize, lr }));
    }
    let replies: RunnerReply[];
    try {
      replies = await Promise.all(jobs);
    } catch (e) {
      // an update is not idempotent (θ −= η·ḡ), so a slice half-updated by a dead worker cannot be redone
      throw new ShardgradError(
        `a worker failed while updating the parameters at step ${step} (${(e as Error).message}); resume from the last checkpoint`,
        ExitCode.trainingFailed,
      );
    }
    let finite = true;
    let ms = 0;
    for (const r of replies) {
      finite &&= r.finite;
      ms = Math.max(ms, r.mathMs);
    }
    this.lastMathMs = this.gradMs + ms;
    return finite;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
