import type { MLPSpec, OptimizerConfig } from '@shardgrad/core';
import {
  computeShardGradient,
  createKernels,
  createWorkerContext,
  reduceAndUpdate,
  shardBound,
  sliceIsFinite,
  StepStatus,
  type KernelChoice,
  type SharedTrainingBuffers,
  type StepStatusValue,
  type WorkerContext,
} from '@shardgrad/worker';
import type { StepEngine } from './step-engine.js';

/** workers: 0 — the worker step run in the calling thread, shard by shard, in the same order. */
export class InProcessEngine implements StepEngine {
  readonly workers = 0;
  readonly retries = 0;
  lastMathMs = 0;

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

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    const { ctx } = this;
    const t0 = performance.now();
    let loss = 0;
    for (let s = 0; s < ctx.V; s++) {
      computeShardGradient(ctx, s, shardBound(start, end, ctx.V, s), shardBound(start, end, ctx.V, s + 1));
    }
    for (let s = 0; s < ctx.V; s++) loss += ctx.buffers.shardLoss[s];
    let status: StepStatusValue = StepStatus.lossNotFinite;
    if (Number.isFinite(loss)) {
      reduceAndUpdate(ctx, 0, ctx.P, end - start, lr, t);
      status = sliceIsFinite(ctx, 0, ctx.P) ? StepStatus.ok : StepStatus.notFinite;
    }
    this.lastMathMs = performance.now() - t0;
    return status;
  }

  async close(): Promise<void> {}
}
