import { allSkips, mlpSpec, type MemoryRegion, type WasmMemory, optimizerConfig, specLayout, type Activation, type Kernels, type MLPSpec, type NoiseEstimate, type OptimizerKind, type ParamLayout } from '@shardgrad/core';
import { InProcessEngine, LocalSyncEngine, TrainingRun, type EngineContext, type RunRows, type RunSettings, type StepEngine } from '@shardgrad/coordinator/run';
import { floatsOf, partialView, planTree, shardRange, sliceAlign, type LocalSync, type TreeNode, type TreePlan } from '@shardgrad/worker';
import { planWorkers, type WorkerPlan } from './shard-plan.js';
import { createKernels, type KernelChoice } from './kernels.js';
import { webLocalEngine, WebWorkerEngine } from './web-engine.js';
import type { WebDataset } from '../data/dataset.js';

export interface SessionConfig {
  readonly dataset: WebDataset;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  /** every layer also receives every lower layer (connections that skip layers) */
  readonly skips?: boolean;
  readonly optimizer: OptimizerKind;
  /** weight decay λ; undefined: the optimizer's own */
  readonly weightDecay?: number;
  /** W, the number of Web Workers (a page without shared memory trains in the page itself) */
  readonly workers: number;
  /** V, the number of virtual shards a batch is cut into (fixed, ≥ W) */
  readonly virtualShards: number;
  readonly seed: number;
  /** a cross-origin isolated page: one shared WebAssembly.Memory for the page and its workers */
  readonly shared: boolean;
  /** the kernels every worker runs */
  readonly kernels: KernelChoice;
  /** --sync local:H or hogwild (the CLI's settings; on the Web Workers, or in the page without shared memory); undefined: step */
  readonly sync?: LocalSync;
  /** the run's batch (with `sync`: rounds are counted in its steps, so the page restarts when it changes) */
  readonly batch?: number;
}

/** The largest batch the page's slider allows: the run's memory is laid out for it. */
export const MAX_BATCH = 1024;

/**
 * One consistent step's state, copied on the page when a frame asks for it (at most once per
 * animation frame, never per step) so the views never draw half-written memory.
 */
export interface StepSnapshot {
  /** θ before and after the step: (P) */
  readonly before: Float32Array;
  readonly params: Float32Array;
  /** each worker's summed gradient over its shards (the subtree sums it published, added): (W, P) */
  readonly workerGrads: Float32Array;
  /** the published subtree sums as the workers wrote them into the run's memory, in `published` order: (nodes, P) */
  readonly publishedSums: Float32Array;
  /** ḡ: (P) */
  readonly avgGrad: Float32Array;
  /** samples in each virtual shard of the step's batch: (V) */
  readonly shardSizes: Uint32Array;
  /** local:H: each replica's θ after the step (R, P), read from the run's memory; empty otherwise */
  readonly replicas: readonly Float32Array[];
  /** the step number t (0: nothing trained yet) and its batch size */
  t: number;
  batchSize: number;
  lr: number;
}

/** A subtree sum a worker publishes: shards [lo, hi), summed by `worker` into its partial slot `slot`. */
export interface PublishedNode extends TreeNode {
  readonly worker: number;
  readonly slot: number;
}

/** What a step reports: its loss and rows, and the engine's live gradient noise estimate (raw and smoothed). */
export interface StepReport {
  readonly loss: number;
  readonly samples: number;
  /** this step's |G|², tr(Σ) and B_simple from the 2 halves at the top of the tree (the step event's `noise`) */
  readonly noise: NoiseEstimate;
  /** the run's moving averages of |G|² and tr(Σ) (decay 0.99, bias-corrected) and their ratio (`noiseEma`) */
  readonly noiseEma: NoiseEstimate;
}

const NOT_MEASURED: NoiseEstimate = { gradSq: NaN, traceSigma: NaN, bSimple: NaN };

/** The page measures the gradient noise scale on every step (`shardgrad train --noise-every 1`, the CLI's default). */
export const SESSION_NOISE_EVERY = 1;

/**
 * The page's side of training: the same TrainingRun as `shardgrad train` (shuffles, init, seeds,
 * the tree), on Web Workers sharing one WebAssembly.Memory, or, in a page without shared memory,
 * in the page itself. It adds only what the views need: snapshots of a step.
 */
export class TrainingSession {
  readonly spec: MLPSpec;
  readonly layout: ParamLayout;
  readonly P: number;
  readonly V: number;
  readonly W: number;
  readonly plan: readonly WorkerPlan[];
  readonly snapshot: StepSnapshot;
  /** every worker's published nodes, worker by worker, left to right */
  readonly published: readonly PublishedNode[];
  readonly tree: TreePlan;
  private snapshotWanted = true;
  private copyNow = false;
  private disposed = false;

  private constructor(
    readonly config: SessionConfig,
    readonly run: TrainingRun,
    readonly kernels: Kernels,
  ) {
    this.spec = run.settings.spec;
    this.layout = specLayout(this.spec);
    this.P = this.layout.total;
    this.V = run.layout.V;
    this.W = run.layout.W;
    this.tree = planTree(this.V, this.W);
    this.plan = planWorkers(this.V, this.P, this.W, sliceAlign(run.layout));
    this.published = this.tree.workers.flatMap((wp, w) => wp.published.map((n) => ({ lo: n.lo, hi: n.hi, worker: w, slot: n.slot })));
    const params = run.views.params;
    this.snapshot = {
      before: params.slice(),
      params: params.slice(),
      workerGrads: new Float32Array(this.W * this.P),
      publishedSums: new Float32Array(this.published.length * this.P),
      avgGrad: new Float32Array(this.P),
      shardSizes: new Uint32Array(this.V),
      replicas: this.replicaThetas().map((theta) => theta.slice()),
      t: 0,
      batchSize: 0,
      lr: 0,
    };
    (run.engine as InProcessEngine | WebWorkerEngine).between = () => this.betweenPhases();
  }

  /** Builds the run, its memory and its workers. */
  static async start(config: SessionConfig, onError: (message: string) => void): Promise<TrainingSession> {
    const pageKernels = await createKernels(config.kernels);
    const { settings, rows } = sessionRun(config);
    const loadKernels = (memory: WasmMemory, scratch: MemoryRegion) => createKernels(config.kernels, memory, scratch);
    // local:H and hogwild: the local engine, on the Web Workers or in the page (one thread: hogwild's updates then never race)
    const engine = (ctx: EngineContext): Promise<StepEngine> => {
      if (config.sync) return config.shared ? webLocalEngine(ctx, config.kernels, onError) : LocalSyncEngine.inProcess(ctx, loadKernels);
      return config.shared ? WebWorkerEngine.create(ctx, config.kernels, onError) : InProcessEngine.create(ctx, loadKernels);
    };
    const run = await TrainingRun.create(settings, rows, {
      workers: config.shared ? config.workers : 0,
      kernel: config.kernels,
      engine,
      evalKernels: pageKernels,
      maxBatch: MAX_BATCH,
      noiseEvery: SESSION_NOISE_EVERY,
    });
    return new TrainingSession(config, run, pageKernels);
  }

  /** epochs started and steps done */
  get epoch(): number {
    return this.run.state.epoch + (this.run.state.position > 0 ? 1 : 0);
  }

  get t(): number {
    return this.run.state.step;
  }

  /** local:H: the replicas' θ in the run's memory (layout.local.thetas; hogwild's are the run's own θ, so none here). */
  replicaThetas(): Float32Array[] {
    const local = this.run.layout.local;
    if (local?.sync.kind !== 'local') return [];
    return local.thetas.map((r) => floatsOf(this.run.memory, r));
  }

  /** hogwild: the updates applied so far and their mean staleness (updates by other workers between a read of θ and its write). */
  get staleness(): { readonly updates: number; readonly mean: number } | undefined {
    return this.run.engine.staleness;
  }

  /** Asks the next step to copy its state for the views. */
  requestSnapshot(): void {
    this.snapshotWanted = true;
  }

  /**
   * One data-parallel step on the next `batchSize` samples of the epoch order. Returns the batch's
   * mean loss and its sample count; a step whose loss or update is not finite throws.
   */
  async step(batchSize: number, lr: number): Promise<StepReport> {
    const snap = this.snapshotWanted;
    if (snap) this.snapshot.before.set(this.run.views.params);
    this.copyNow = snap;
    const { step } = await this.run.step({ batch: batchSize, lr });
    this.copyNow = false;
    if (snap) this.finishSnapshot(step.step, step.batchSize, lr);
    return { loss: step.loss, samples: step.batchSize, noise: step.noise ?? NOT_MEASURED, noiseEma: step.noiseEma ?? NOT_MEASURED };
  }

  /** Mean loss and accuracy on the validation rows (in the page). */
  async evaluate(): Promise<{ loss: number; accuracy: number }> {
    return this.run.evaluate();
  }

  /** The snapshot is taken inside the step that asked for it; nothing to bring up to date. */
  syncSnapshot(): void {}

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.run.close();
  }

  /**
   * Between the phases of a step, while the published subtree sums are in memory (the top of the
   * tree then adds into them), for a snapshot: the published sums and each worker's total.
   */
  private betweenPhases(): void {
    if (!this.copyNow) return;
    const { P } = this;
    const { publishedSums, workerGrads } = this.snapshot;
    this.published.forEach((node, k) => {
      const g = publishedSums.subarray(k * P, (k + 1) * P);
      g.set(partialView(this.run.memory, this.run.layout, node.worker, node.slot));
      const sum = workerGrads.subarray(node.worker * P, (node.worker + 1) * P);
      if (k === 0 || this.published[k - 1].worker !== node.worker) sum.set(g);
      else for (let i = 0; i < P; i++) sum[i] = Math.fround(sum[i] + g[i]);
    });
  }

  private finishSnapshot(t: number, batchSize: number, lr: number): void {
    const s = this.snapshot;
    s.params.set(this.run.views.params);
    this.replicaThetas().forEach((theta, r) => s.replicas[r].set(theta));
    s.avgGrad.set(this.run.views.avgGrad);
    const start = 0;
    for (let v = 0; v < this.V; v++) {
      const [lo, hi] = shardRange(start, batchSize, this.V, v);
      s.shardSizes[v] = hi - lo;
    }
    s.t = t;
    s.batchSize = batchSize;
    s.lr = lr;
    this.snapshotWanted = false;
  }
}

/**
 * The run a session trains, from the page's settings: the same TrainingRun settings as `shardgrad
 * train` with the demo's flags (softmax + cross-entropy, He init for relu, Glorot otherwise, no
 * input scaling), and the data set's rows (training rows first, then validation).
 */
export function sessionRun(config: Omit<SessionConfig, 'workers' | 'shared' | 'kernels'>): { settings: RunSettings; rows: RunRows } {
  const ds = config.dataset;
  const sizes = [ds.inputs, ...config.hidden, ds.classes];
  const spec = mlpSpec(sizes, config.activation, 'softmax', 'ce', config.skips ? allSkips(sizes) : []);
  const settings: RunSettings = {
    spec,
    optimizer: optimizerConfig(config.optimizer, config.weightDecay === undefined ? {} : { weightDecay: config.weightDecay }),
    lr: 0.03, // every step passes the slider's value
    schedule: { kind: 'constant' },
    batch: config.batch ?? 32,
    epochs: Number.MAX_SAFE_INTEGER,
    shards: config.virtualShards,
    seed: config.seed,
    init: config.activation === 'relu' ? 'he' : 'glorot',
    ...(config.sync ? { sync: config.sync } : {}),
  };
  const iota = (n: number, from: number) => Uint32Array.from({ length: n }, (_, i) => from + i);
  return { settings, rows: { X: ds.X, Y: ds.Y, train: iota(ds.trainRows, 0), val: iota(ds.rows - ds.trainRows, ds.trainRows) } };
}
