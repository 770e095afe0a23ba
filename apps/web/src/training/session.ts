import { wrap, type Remote } from 'comlink';
import {
  deriveSeed,
  initParams,
  mlpSpec,
  optimizerConfig,
  paramLayout,
  Rng,
  shuffleInPlace,
  stateSlots,
  type Activation,
  type MLPSpec,
  type OptimizerKind,
  type ParamLayout,
} from '@shardgrad/core';
import { shardRange } from '@shardgrad/worker';
import { allocateBuffers, type WebTrainingBuffers } from './buffers.js';
import { withTimeout } from './call-timeout.js';
import { planWorkers, type WorkerPlan } from './shard-plan.js';
import type { KernelChoice } from './kernels.js';
import type { StateCopy, TrainWorker } from './train-worker.js';
import type { WebDataset } from '../data/dataset.js';

export interface SessionConfig {
  readonly dataset: WebDataset;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  readonly optimizer: OptimizerKind;
  /** W, the number of Web Workers */
  readonly workers: number;
  /** V, the number of virtual shards a batch is cut into (fixed, ≥ W) */
  readonly virtualShards: number;
  readonly seed: number;
  /** SharedArrayBuffers (cross-origin isolated page) or copies */
  readonly shared: boolean;
  /** the kernels every worker runs */
  readonly kernels: KernelChoice;
}

/**
 * One consistent step's state, copied on the page when a frame asks for it (at most once per
 * animation frame, never per step) so the views never draw half-written memory.
 */
export interface StepSnapshot {
  /** θ before and after the step: (P) */
  readonly before: Float32Array;
  readonly params: Float32Array;
  /** G: (V, P) each virtual shard's summed gradient */
  readonly shardGrads: Float32Array;
  /** ḡ: (P) */
  readonly avgGrad: Float32Array;
  /** samples in each virtual shard of the step's batch: (V) */
  readonly shardSizes: Uint32Array;
  /** the step number t (0: nothing trained yet) and its batch size */
  t: number;
  batchSize: number;
  lr: number;
}

const CALL_MS = 15_000;
const INIT_MS = 30_000;

/**
 * The page's side of data-parallel training: it owns the buffers, the workers and the step
 * barrier (every worker answers before the next phase starts), shuffles each epoch and cuts
 * batches. The math runs in the workers, with @shardgrad/worker's step.
 */
export class TrainingSession {
  readonly spec: MLPSpec;
  readonly layout: ParamLayout;
  readonly P: number;
  readonly V: number;
  readonly W: number;
  readonly plan: readonly WorkerPlan[];
  readonly buffers: WebTrainingBuffers;
  readonly snapshot: StepSnapshot;
  /** epochs started and steps done */
  epoch = 0;
  t = 0;
  private cursor: number;
  private readonly rng: Rng;
  private snapshotWanted = true;
  /** θ before the last step: (P) */
  private readonly stepBefore: Float32Array;
  private lastStart = 0;
  private lastEnd = 0;
  private lastLr = 0;
  // kept referenced for the session's life: a collected comlink proxy can drop calls (comlink #692)
  private readonly workers: Worker[];
  private readonly remotes: Remote<TrainWorker>[];
  private disposed = false;

  private constructor(readonly config: SessionConfig, workers: Worker[]) {
    const { dataset: ds } = config;
    const output: Activation = 'softmax';
    this.spec = mlpSpec([ds.inputs, ...config.hidden, ds.classes], config.activation, output, 'ce');
    this.layout = paramLayout(this.spec.sizes);
    this.P = this.layout.total;
    this.V = config.virtualShards;
    this.W = config.shared ? config.workers : 1;
    this.plan = planWorkers(this.V, this.P, this.W);
    this.buffers = allocateBuffers(
      {
        N: ds.rows,
        D: ds.inputs,
        C: ds.classes,
        P: this.P,
        V: this.V,
        trainRows: ds.trainRows,
        evalRows: ds.rows - ds.trainRows,
        stateSlots: stateSlots(config.optimizer),
      },
      config.shared,
    );
    const b = this.buffers;
    b.X.set(ds.X);
    b.Y.set(ds.Y);
    for (let i = 0; i < ds.trainRows; i++) b.order[i] = i;
    for (let i = 0; i < b.evalRows.length; i++) b.evalRows[i] = ds.trainRows + i;
    initParams(b.params, this.layout, config.activation === 'relu' ? 'he' : 'glorot', deriveSeed(config.seed, 0));
    this.rng = new Rng(deriveSeed(config.seed, 1));
    this.cursor = ds.trainRows; // the first step shuffles
    this.stepBefore = b.params.slice();
    this.snapshot = {
      before: b.params.slice(),
      params: b.params.slice(),
      shardGrads: new Float32Array(this.V * this.P),
      avgGrad: new Float32Array(this.P),
      shardSizes: new Uint32Array(this.V),
      t: 0,
      batchSize: 0,
      lr: 0,
    };
    this.workers = workers;
    this.remotes = workers.map((w) => wrap<TrainWorker>(w));
  }

  /** Starts the workers and hands them the buffers (shared, or copied when not isolated). */
  static async start(config: SessionConfig, onError: (message: string) => void): Promise<TrainingSession> {
    const W = config.shared ? config.workers : 1;
    const workers = Array.from(
      { length: W },
      (_, w) => new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: `shardgrad-worker-${w}` }),
    );
    for (const w of workers) w.addEventListener('error', (e) => onError(`worker failed: ${e.message || 'could not load'}`));
    const session = new TrainingSession(config, workers);
    const setup = {
      spec: session.spec,
      V: session.V,
      optimizer: optimizerConfig(config.optimizer),
      capacity: 64,
      buffers: session.buffers,
      kernels: config.kernels,
    };
    try {
      await Promise.all(session.remotes.map((r, w) => withTimeout(r.init(setup), INIT_MS, `worker ${w} init`)));
    } catch (e) {
      session.dispose();
      throw e;
    }
    return session;
  }

  /** Asks the next step to copy its state for the views. */
  requestSnapshot(): void {
    this.snapshotWanted = true;
  }

  /**
   * One data-parallel step on the next `batchSize` samples of the epoch order: every worker
   * computes its shards' gradients; barrier; every worker averages and updates its parameter
   * slice; barrier. Returns the batch's mean loss and its sample count.
   */
  async step(batchSize: number, lr: number): Promise<{ loss: number; samples: number }> {
    const trainRows = this.config.dataset.trainRows;
    if (this.cursor >= trainRows) await this.newEpoch();
    const start = this.cursor;
    const end = Math.min(start + batchSize, trainRows);
    this.cursor = end;
    const B = end - start;
    const t = ++this.t;
    const snap = this.snapshotWanted;
    // θ before the step, for the update the views show: a memcpy with shared memory, a round trip with copies
    if (this.config.shared) this.stepBefore.set(this.buffers.params);
    else if (snap) this.stepBefore.set(await withTimeout(this.remotes[0].pullParams(), CALL_MS, 'worker 0 params'));
    const losses = await Promise.all(
      this.remotes.map((r, w) => withTimeout(r.gradients(start, end, this.plan[w].s0, this.plan[w].s1), CALL_MS, `worker ${w} gradients`)),
    );
    await Promise.all(
      this.remotes.map((r, w) => withTimeout(r.update(this.plan[w].p0, this.plan[w].p1, B, lr, t), CALL_MS, `worker ${w} update`)),
    );
    this.lastStart = start;
    this.lastEnd = end;
    this.lastLr = lr;
    if (snap) await this.takeSnapshot();
    let loss = 0;
    for (const l of losses) loss += l;
    return { loss: loss / B, samples: B };
  }

  /**
   * Brings the snapshot up to the last step once training pauses (with shared memory; with copies
   * the views may stay one step behind until the next step).
   */
  syncSnapshot(): void {
    if (this.config.shared && this.snapshot.t !== this.t) void this.takeSnapshot();
  }

  /** Mean loss and accuracy on the validation rows (computed in worker 0). */
  evaluate(): Promise<{ loss: number; accuracy: number }> {
    return withTimeout(this.remotes[0].evaluate(), CALL_MS, 'worker 0 evaluate');
  }

  /** Stops the workers; pending calls are rejected by their timeouts. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) w.terminate();
  }

  private async newEpoch(): Promise<void> {
    const order = this.buffers.order;
    shuffleInPlace(order, this.rng);
    if (!this.config.shared) await withTimeout(this.remotes[0].setOrder(order), CALL_MS, 'worker 0 order');
    this.cursor = 0;
    this.epoch++;
  }

  private async takeSnapshot(): Promise<void> {
    const s = this.snapshot;
    const state: StateCopy = this.config.shared ? this.buffers : await withTimeout(this.remotes[0].pullState(), CALL_MS, 'worker 0 state');
    s.before.set(this.stepBefore);
    s.params.set(state.params);
    s.shardGrads.set(state.shardGrads);
    s.avgGrad.set(state.avgGrad);
    for (let v = 0; v < this.V; v++) {
      const [lo, hi] = shardRange(this.lastStart, this.lastEnd, this.V, v);
      s.shardSizes[v] = hi - lo;
    }
    s.t = this.t;
    s.batchSize = this.lastEnd - this.lastStart;
    s.lr = this.lastLr;
    this.snapshotWanted = false;
  }
}
