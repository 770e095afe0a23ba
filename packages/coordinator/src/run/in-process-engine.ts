import type { Kernels, MemoryRegion, WasmMemory } from '@shardgrad/core';
import { createKernels, StepStatus, WorkerStep, type StepStatusValue } from '@shardgrad/worker';
import type { EngineContext, StepEngine } from './step-engine.js';

/** Lets timers, I/O and signal handlers run between synchronous steps (setImmediate where there is one). */
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r)) : () => new Promise((r) => setTimeout(r, 0));

/**
 * workers: 0 — the worker step run in the calling thread as worker 0 of 1, over the same memory
 * and tree. `between`, where given, runs after the gradients and before the update of each step
 * (the web demo copies the shards' sums for its views there).
 */
export class InProcessEngine implements StepEngine {
  readonly workers = 0;
  readonly retries = 0;
  lastMathMs = 0;
  between: (() => void) | undefined;

  private constructor(readonly worker: WorkerStep) {}

  /** `loadKernels`: where a bundler must see the .wasm files (the web demo), how to make the kernels over the memory. */
  static async create(ctx: EngineContext, loadKernels?: (memory: WasmMemory, scratch: MemoryRegion) => Promise<Kernels>): Promise<InProcessEngine> {
    if (ctx.layout.W !== 1) throw new Error('the in-process engine runs a layout of one worker');
    const scratch = ctx.layout.workers[0].kernelScratch;
    const kernels = loadKernels ? await loadKernels(ctx.memory, scratch) : (await createKernels(ctx.kernel, ctx.memory, scratch)).kernels;
    return new InProcessEngine(new WorkerStep(ctx.layout, ctx.memory, 0, kernels, ctx.data));
  }

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    await yieldToEventLoop();
    const w = this.worker;
    const t0 = performance.now();
    w.gradients(start, end);
    this.between?.();
    let loss = 0;
    const { shardLoss } = w.data;
    for (let s = 0; s < shardLoss.length; s++) loss += shardLoss[s];
    let status: StepStatusValue = StepStatus.lossNotFinite;
    if (Number.isFinite(loss)) status = w.update(end - start, lr, t) ? StepStatus.ok : StepStatus.notFinite;
    this.lastMathMs = performance.now() - t0;
    return status;
  }

  async close(): Promise<void> {}
}
