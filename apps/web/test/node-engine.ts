import { TrainingRun, type EngineContext, type StepEngine } from '@shardgrad/coordinator/run';
import { createKernels, StepStatus, WorkerStep, type StepStatusValue } from '@shardgrad/worker';
import { MAX_BATCH, SESSION_NOISE_EVERY, sessionRun } from '../src/training/session.js';
import type { WebDataset } from '../src/data/dataset.js';

/**
 * The engine's own numbers, independently of the page: 2 WorkerSteps over the run's memory,
 * stepped one after the other in this thread on Node's wasm kernels (the page's Web Worker engine
 * runs the same WorkerStep). `between(t)` runs between the phases of step t, while the published
 * subtree sums are in memory.
 */
export class TwoWorkersInThisThread implements StepEngine {
  readonly workers = 2;
  readonly retries = 0;
  lastMathMs = 0;
  between: ((t: number) => void) | undefined;

  private constructor(
    private readonly steps: WorkerStep[],
    readonly ctx: EngineContext,
  ) {}

  static async create(ctx: EngineContext): Promise<TwoWorkersInThisThread> {
    const steps = await Promise.all(
      [0, 1].map(async (w) => new WorkerStep(ctx.layout, ctx.memory, w, (await createKernels(ctx.kernel, ctx.memory, ctx.layout.workers[w].kernelScratch)).kernels, ctx.data)),
    );
    return new TwoWorkersInThisThread(steps, ctx);
  }

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    for (const w of this.steps) w.gradients(start, end);
    this.between?.(t);
    let ok = true;
    for (const w of this.steps) ok = w.update(end - start, lr, t) && ok;
    return ok ? StepStatus.ok : StepStatus.notFinite;
  }

  async close(): Promise<void> {}
}

/** The page's run of `dataset` (seed 42, V = 16, the noise estimate every step) with these layers, activation and optimizer, on 2 workers in this thread. */
export async function pageRunInNode(dataset: WebDataset, hidden: number[], activation: 'relu', optimizer: 'adam' | 'sgd'): Promise<{ run: TrainingRun; engine: TwoWorkersInThisThread }> {
  const { settings, rows } = sessionRun({ dataset, hidden, activation, optimizer, virtualShards: 16, seed: 42 });
  let engine: TwoWorkersInThisThread | undefined;
  const run = await TrainingRun.create(settings, rows, {
    workers: 2,
    kernel: 'wasm',
    engine: async (ctx) => (engine = await TwoWorkersInThisThread.create(ctx)),
    evalKernels: (await createKernels('wasm')).kernels,
    maxBatch: MAX_BATCH,
    noiseEvery: SESSION_NOISE_EVERY,
  });
  return { run, engine: engine! };
}
