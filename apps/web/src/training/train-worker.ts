/// <reference lib="webworker" />
import { expose } from 'comlink';
import type { WasmMemory } from '@shardgrad/core';
import { LocalWorker, runLocalTask, WorkerStep, type LocalRunnerInit, type LocalTask, type RunData, type RunLayout } from '@shardgrad/worker';
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

/** What the page sends once per local-mode run (the run's memory, data and tables shared): the page's kernels, which worker this is. */
export type LocalSetup = Omit<LocalRunnerInit, 'kernel'> & { readonly kernel: KernelChoice; readonly w: number };

/**
 * One Web Worker of the demo: the same WorkerStep as Node's piscina workers (@shardgrad/worker),
 * over the run's shared WebAssembly.Memory, driven by the page over comlink, one call per phase.
 */
export class TrainWorker {
  private step: WorkerStep | undefined;
  private local: LocalWorker | undefined;

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

  /** --sync local:H or hogwild: worker w's replicas over the run's shared memory and tables (as Node's local runner). */
  async initLocal(setup: LocalSetup): Promise<void> {
    this.local = await LocalWorker.create(setup.layout, setup.memory, setup.w, setup.data, setup.tables, (memory, scratch) => createKernels(setup.kernel, memory, scratch));
  }

  /** One task of the local engine: this worker's replicas over a chunk of steps, or its slice of an average. */
  runLocal(task: LocalTask): void {
    if (!this.local) throw new Error('worker used before initLocal');
    runLocalTask(this.local, task);
  }

  private context(): WorkerStep {
    if (!this.step) throw new Error('worker used before init');
    return this.step;
  }
}

expose(new TrainWorker());
