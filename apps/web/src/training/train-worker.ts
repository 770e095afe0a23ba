/// <reference lib="webworker" />
import { expose } from 'comlink';
import { evaluate, type MLPSpec, type OptimizerConfig } from '@shardgrad/core';
import { computeShardGradient, createWorkerContext, reduceAndUpdate, shardRange, type WorkerContext } from '@shardgrad/worker';
import type { WebTrainingBuffers } from './buffers.js';
import { createKernels, type KernelChoice } from './kernels.js';

/** What the page sends once per run. */
export interface WorkerSetup {
  readonly spec: MLPSpec;
  readonly V: number;
  readonly optimizer: OptimizerConfig;
  /** rows processed at once by forward/backward */
  readonly capacity: number;
  readonly buffers: WebTrainingBuffers;
  readonly kernels: KernelChoice;
}

/** Copies of the training state, for a page whose worker does not share its memory. */
export interface StateCopy {
  readonly params: Float32Array;
  readonly shardGrads: Float32Array;
  readonly avgGrad: Float32Array;
  readonly shardLoss: Float64Array;
}

/**
 * One Web Worker of the demo: the same worker step as Node's piscina workers
 * (@shardgrad/worker), driven by the page over comlink.
 */
export class TrainWorker {
  private ctx: WorkerContext | undefined;
  private evalRows: Uint32Array = new Uint32Array(0);

  async init(setup: WorkerSetup): Promise<void> {
    const kernels = await createKernels(setup.kernels);
    this.ctx = createWorkerContext(setup.spec, setup.V, setup.buffers, kernels, setup.optimizer, setup.capacity);
    this.evalRows = setup.buffers.evalRows;
  }

  /**
   * Step part 1: G[s] for the virtual shards s0 ≤ s < s1 of the batch order[start..end).
   * Returns the summed loss of those shards' samples.
   */
  gradients(start: number, end: number, s0: number, s1: number): number {
    const ctx = this.context();
    let loss = 0;
    for (let s = s0; s < s1; s++) {
      const [lo, hi] = shardRange(start, end, ctx.V, s);
      computeShardGradient(ctx, s, lo, hi);
      loss += ctx.buffers.shardLoss[s];
    }
    return loss;
  }

  /** Step part 2: average the V shard gradients over [p0, p1) and let the optimizer update it. */
  update(p0: number, p1: number, batchSize: number, lr: number, t: number): void {
    reduceAndUpdate(this.context(), p0, p1, batchSize, lr, t);
  }

  /** Mean loss and accuracy of the current parameters on the validation rows. */
  evaluate(): { loss: number; accuracy: number } {
    const ctx = this.context();
    const { buffers } = ctx;
    const e = evaluate(ctx.spec, ctx.ws, buffers.X, buffers.Y, this.evalRows, this.evalRows.length, ctx.kernels);
    return { loss: e.loss, accuracy: e.accuracy };
  }

  /** Copy mode: the page shuffled the epoch order in its own copy. */
  setOrder(order: Uint32Array): void {
    this.context().buffers.order.set(order);
  }

  /** Copy mode: the parameters, as a copy. */
  pullParams(): Float32Array {
    return this.context().buffers.params.slice();
  }

  /** Copy mode: the state the views draw, as copies. */
  pullState(): StateCopy {
    const b = this.context().buffers;
    return { params: b.params.slice(), shardGrads: b.shardGrads.slice(), avgGrad: b.avgGrad.slice(), shardLoss: b.shardLoss.slice() };
  }

  private context(): WorkerContext {
    if (!this.ctx) throw new Error('worker used before init');
    return this.ctx;
  }
}

expose(new TrainWorker());
