import type { MLPSpec, OptimizerConfig } from '@shardgrad/core';
import {
  computeShardGradient,
  createKernels,
  createWorkerContext,
  reduceAndUpdate,
  shardRange,
  sliceIsFinite,
  type KernelChoice,
  type SharedTrainingBuffers,
  type WorkerContext,
} from '@shardgrad/worker';
import type { StepEngine } from './step-engine.js';

/** workers: 0 — the worker step run in the calling thread, shard by shard, in the same order. */
export class InProcessEngine implements StepEngine {
  readonly workers = 0;
  readonly retries = 0;
  lastMathMs = 0;
  private gradMs = 0;

  private constructor(private readonly ctx: WorkerContext) {}

  static async create(
    spec: MLPSpec,
    V: number,
    buffers: SharedTrainingBuffers,
    optimizer: OptimizerConfig,
    capacity: number,
    kernel: KernelChoice,
  ): Promise<InProcessEngine> {
    const backend = await createKernels(kernel);
    return new InProcessEngine(createWorkerContext(spec, V, buffers, backend.kernels, optimizer, capacity, backend.allocate));
  }

  async gradients(_step: number, start: number, end: number): Promise<void> {
    const t0 = performance.now();
    for (let s = 0; s < this.ctx.V; s++) {
      const [lo, hi] = shardRange(start, end, this.ctx.V, s);
      computeShardGradient(this.ctx, s, lo, hi);
    }
    this.gradMs = performance.now() - t0;
  }

  async update(step: number, batchSize: number, lr: number): Promise<boolean> {
    const t0 = performance.now();
    reduceAndUpdate(this.ctx, 0, this.ctx.P, batchSize, lr, step);
    const finite = sliceIsFinite(this.ctx, 0, this.ctx.P);
    this.lastMathMs = this.gradMs + (performance.now() - t0);
    return finite;
  }

  async close(): Promise<void> {}
}
