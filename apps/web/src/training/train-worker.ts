/// <reference lib="webworker" />
import { expose } from 'comlink';
import type { WasmMemory } from '@shardgrad/core';
import { WorkerStep, type RunData, type RunLayout } from '@shardgrad/worker';
import { createKernels, type KernelChoice } from './kernels.js';

/** What the page sends once per run: the run's shared memory and data are shared, not copied. */
export interface WorkerSetup {
  readonly layout: RunLayout;
  readonly memory: WasmMemory;
  readonly data: RunData;
  readonly kernels: KernelChoice;
  /** which worker of layout.W this is */
  readonly w: number;
}

/**
 * One Web Worker of the demo: the same WorkerStep as Node's piscina workers (@shardgrad/worker),
 * over the run's shared WebAssembly.Memory, driven by the page over comlink, one call per phase.
 */
export class TrainWorker {
  private step: WorkerStep | undefined;

  async init(setup: WorkerSetup): Promise<void> {
    const kernels = await createKernels(setup.kernels, setup.memory, setup.layout.workers[setup.w].kernelScratch);
    this.step = new WorkerStep(setup.layout, setup.memory, setup.w, kernels, setup.data);
  }

  /** Phase 1: this worker's shards of the batch order[start..end) and its published subtree sums. */
  gradients(start: number, end: number): void {
    this.context().gradients(start, end);
  }

  /** Phase 2: finish the tree over this worker's parameter slice, ḡ, the optimizer; false if not finite. */
  update(batchSize: number, lr: number, t: number): boolean {
    return this.context().update(batchSize, lr, t);
  }

  private context(): WorkerStep {
    if (!this.step) throw new Error('worker used before init');
    return this.step;
  }
}

expose(new TrainWorker());
