import {
  deriveSeed,
  errors,
  evaluateParams,
  initParams,
  isSharedMemory,
  learningRate,
  NoiseScaleEma,
  specLayout,
  Rng,
  SEED_STREAM,
  shuffleInPlace,
  type Initializer,
  type Kernels,
  type MLPSpec,
  type NoiseEstimate,
  type OptimizerConfig,
  type Schedule,
  type WasmMemory,
} from '@shardgrad/core';
import { commSince, createRunMemory, layoutLocal, layoutRun, localWorkers, startReplicas, type LocalSync, noiseDue, noisePartialsView, NO_COMM, rankShards, runViews, writeNoiseOfStep, SEGMENT_MAX, sharedClockMs, StepStatus, type StepStatusValue, type CommCounts, type FaultSpec, type RankShape, type KernelChoice, type RunData, type RunLayout, type RunViews } from '@shardgrad/worker';
import type { EpochEvent, LoopState, StepEvent } from './events.js';
import type { EngineFactory, StepEngine } from './step-engine.js';

/** The settings that define a run's arithmetic: the same settings and seed give the same θ everywhere. */
export interface RunSettings {
  readonly spec: MLPSpec;
  readonly optimizer: OptimizerConfig;
  readonly lr: number;
  readonly schedule: Schedule;
  readonly batch: number;
  readonly epochs: number;
  /** virtual shards per batch (the determinism setting; independent of workers) */
  readonly shards: number;
  readonly seed: number;
  readonly init: Initializer;
  /** stop when validation loss has not improved for this many epochs */
  readonly earlyStop?: number;
  /** average less often than every step (--sync local:H, hogwild); absent: every step (--sync step) */
  readonly sync?: LocalSync;
}

/** The rows of a run. X, Y: SharedArrayBuffers where workers read them. Shape letters: N rows, D inputs, C outputs. */
export interface RunRows {
  readonly X: Float32Array; // (N, D)
  readonly Y: Float32Array; // (N, C)
  readonly train: Uint32Array;
  readonly val: Uint32Array;
}

export interface RunOptions {
  /** worker threads (0: in-process); more than `shards` run as `shards` */
  readonly workers: number;
  readonly kernel: KernelChoice;
  readonly engine: EngineFactory;
  /** kernels of this thread, for validation */
  readonly evalKernels: Kernels;
  /** the largest batch a step may be given (the web demo's batch slider); default settings.batch */
  readonly maxBatch?: number;
  /** continue from a checkpoint's θ, optimizer state and loop position */
  readonly resume?: { readonly params: Float32Array; readonly optState: Float32Array; readonly state: LoopState };
  /** start θ from these parameters (a trained model: fine-tuning) instead of the initializer; the optimizer state starts at zero */
  readonly initialParams?: Float32Array;
  readonly fault?: FaultSpec;
  /** one process of several (MPI ranks): this rank runs `workers` threads (at least 1) over its shards */
  readonly ranks?: RankShape;
  /** the live gradient-noise estimate every this many steps (0 or absent: off; it only reads, θ is the same either way) */
  readonly noiseEvery?: number;
}

/** What one step produced: its event and, at an epoch's end, the epoch's. */
export interface StepResult {
  readonly step: StepEvent;
  readonly epoch?: EpochEvent;
}

/** What TrainingRun.advance ran: steps, and the epoch's event if the epoch ended. */
export interface AdvanceResult {
  readonly steps: number;
  readonly epoch?: EpochEvent;
  /** it ended early on a stop request (requestStop; across ranks, any rank's) */
  readonly stopped: boolean;
}

/** A step's outcome that is not ok: the run ends, naming the step (exit code 1). */
function checkStatus(status: StepStatusValue, t: number): void {
  if (status === StepStatus.lossNotFinite) throw errors.diverged(t, 'the loss is not finite');
  if (status === StepStatus.notFinite) throw errors.diverged(t, 'the gradient or the parameters are not finite');
}

/**
 * X and Y must hold the same N rows of the spec's input and output sizes, and every train and val
 * index must be a row: otherwise a step would read past the data (NaN, "the loss is not finite").
 * One line naming the field and the shapes; one pass over the indices, at setup.
 */
function checkRows(spec: MLPSpec, rows: RunRows): void {
  const D = spec.sizes[0];
  const C = spec.sizes[spec.sizes.length - 1];
  if (rows.X.length % D !== 0) throw errors.badInput('rows.X', `${rows.X.length} values are not rows of ${D} inputs (layers[0])`);
  const N = rows.X.length / D;
  if (rows.Y.length !== N * C) throw errors.badInput('rows.Y', `expected ${N} rows of ${C} outputs (like rows.X: ${N} rows of ${D}), got ${rows.Y.length} values`);
  for (const field of ['train', 'val'] as const) {
    const r = rows[field];
    for (let i = 0; i < r.length; i++)
      if (r[i] >= N) throw errors.badInput(`rows.${field}`, `row index ${r[i]} (at ${i}) is past the ${N} rows of X`);
  }
}

/**
 * One training run, written once for Node and the browser: the epoch shuffles, initialization,
 * schedule, the shard plan and the parameter slices (through the engine's layout), validation and
 * early stopping, resume. It imports nothing of Node; files, checkpoints and the worker pool belong
 * to the front ends (the Trainer in Node, the web demo), which drive it step by step.
 *
 * Seeds: one user seed, independent streams for initialization and the epoch shuffles (SEED_STREAM).
 */
export class TrainingRun {
  readonly layout: RunLayout;
  readonly memory: WasmMemory;
  /** θ, ḡ and the optimizer state, in this thread */
  readonly views: RunViews;
  readonly data: RunData;
  readonly state: LoopState;
  /** why training ended before its epochs, if it did */
  stoppedEarly = false;
  private readonly rng: Rng;
  private shuffledEpoch = -1;
  private cursor: number;
  /** the run's start on the clock that every thread reads alike (sharedClockMs) */
  private readonly t0 = sharedClockMs();
  /** a stop was asked for (requestStop): advance ends after the current step */
  private stopRequested = false;
  /** the learning rates of a segment's steps */
  private readonly lrs = new Float64Array(SEGMENT_MAX);
  /** the epoch's wall clock and samples so far, for its samples/s */
  private epochT0 = sharedClockMs();
  private epochSamples = 0;
  /** the communication counters at the previous epoch's event */
  private commAtEpoch: CommCounts = NO_COMM;
  /** the live noise estimate: its moving averages, and where a single step's is read from */
  private readonly noiseEma = new NoiseScaleEma();
  private readonly noisePartials: Float64Array;
  private readonly noiseOut = new Float64Array(2);

  private constructor(
    readonly settings: RunSettings,
    readonly rows: RunRows,
    private readonly options: RunOptions,
    readonly engine: StepEngine,
    parts: { layout: RunLayout; memory: WasmMemory; views: RunViews; data: RunData; state: LoopState; rng: Rng },
  ) {
    this.layout = parts.layout;
    this.memory = parts.memory;
    this.views = parts.views;
    this.data = parts.data;
    this.state = parts.state;
    this.rng = parts.rng;
    this.cursor = this.state.position * settings.batch;
    this.noisePartials = noisePartialsView(this.memory, this.layout);
    if (this.state.noise) this.noiseEma.restore(this.state.noise);
  }

  static async create(settings: RunSettings, rows: RunRows, options: RunOptions): Promise<TrainingRun> {
    checkRows(settings.spec, rows);
    const ranks = options.ranks && options.ranks.size > 1 ? options.ranks : undefined;
    const [a, b] = ranks ? rankShards(settings.shards, ranks) : [0, settings.shards];
    const sync = settings.sync;
    if (sync?.kind === 'hogwild' && ranks) throw errors.badSetting('sync', 'hogwild runs in one process, not across MPI ranks');
    if (sync?.kind === 'local' && ranks && sync.replicas < ranks.size) throw errors.badSetting('replicas', `${sync.replicas} is fewer than the ${ranks.size} MPI ranks (each rank runs at least one replica)`);
    const W = sync ? localWorkers(sync, settings.shards, options.workers, ranks) : Math.max(1, Math.min(options.workers, b - a));
    const shared = typeof SharedArrayBuffer !== 'undefined';
    const shape = { spec: settings.spec, V: settings.shards, W, batch: options.maxBatch ?? settings.batch, optimizer: settings.optimizer, ...(options.noiseEvery ? { noiseEvery: options.noiseEvery } : {}) };
    const layout = sync ? layoutLocal(shape, sync, ranks, settings.batch) : layoutRun({ ...shape, ...(ranks ? { ranks } : {}) });
    const memory = createRunMemory(layout, shared);
    const views = runViews(memory, layout);
    const buffer = (bytes: number) => (isSharedMemory(memory) ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const data: RunData = {
      X: rows.X,
      Y: rows.Y,
      order: new Uint32Array(buffer(rows.train.length * 4)),
      shardLoss: new Float64Array(buffer(settings.shards * 8)),
    };
    const r = options.resume;
    const state: LoopState = r
      ? { ...r.state, history: [...r.state.history] }
      : { step: 0, epoch: 0, position: 0, lossSum: 0, history: [], bestValLoss: Infinity, sinceBest: 0 };
    if (r) {
      views.params.set(r.params);
      views.optState.set(r.optState);
    } else if (options.initialParams) {
      views.params.set(options.initialParams);
    } else {
      initParams(views.params, specLayout(settings.spec), settings.init, deriveSeed(settings.seed, SEED_STREAM.init));
    }
    if (!r) startReplicas(memory, layout); // (a resume restored the replicas with the optimizer state)
    // the epoch order is shuffled cumulatively: replay the finished epochs' shuffles
    const rng = new Rng(deriveSeed(settings.seed, SEED_STREAM.shuffle));
    data.order.set(rows.train);
    for (let e = 0; e < state.epoch; e++) shuffleInPlace(data.order, rng);
    const engine = await options.engine({ layout, memory, data, kernel: options.kernel, ...(options.fault ? { fault: options.fault } : {}) });
    return new TrainingRun(settings, rows, options, engine, { layout, memory, views, data, state, rng });
  }

  /** Whether every epoch ran (or early stopping ended the run). */
  get finished(): boolean {
    return this.stoppedEarly || this.state.epoch >= this.settings.epochs;
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.rows.train.length / this.settings.batch);
  }

  /**
   * One step on the next batch of the epoch order. `live` overrides the batch size and learning
   * rate for this step (the web demo's sliders; the CLI never does). At the epoch's end it also
   * validates and returns the epoch's event. A NaN or infinite loss or update throws (exit code 1)
   * naming the step, with θ as the step before left it when the loss was not finite.
   */
  async step(live?: { readonly batch?: number; readonly lr?: number }): Promise<StepResult> {
    const { settings, state } = this;
    const T = this.rows.train.length;
    this.beginEpoch();
    const batch = Math.min(live?.batch ?? settings.batch, this.layout.batch);
    const start = this.cursor;
    const end = Math.min(start + batch, T);
    const lr = live?.lr ?? learningRate(settings.schedule, settings.lr, state.step);
    const step = await this.oneStep(start, end, lr);
    if (end < T) return { step };
    return { step, epoch: await this.endEpoch() };
  }

  /**
   * Runs steps from the current position until the epoch's end, `maxSteps` steps (a checkpoint is
   * due) or a stop request, whichever comes first; with an engine that runs segments, the workers
   * run them among themselves. Every step's event goes to `onStep`, in order (while the steps run,
   * not on their path); at the epoch's end it validates and returns the epoch's event. A NaN or
   * infinite loss or update throws (exit code 1) naming the step, as step() does.
   */
  async advance(o: { readonly maxSteps?: number; readonly onStep?: (e: StepEvent) => void } = {}): Promise<AdvanceResult> {
    const { settings, state } = this;
    const T = this.rows.train.length;
    this.beginEpoch();
    const count = Math.max(1, Math.min(Math.ceil((T - this.cursor) / settings.batch), o.maxSteps ?? Infinity, SEGMENT_MAX));
    const runSegment = this.engine.runSegment?.bind(this.engine);
    let steps = 0;
    let stopped = false;
    if (runSegment) {
      for (let i = 0; i < count; i++) this.lrs[i] = learningRate(settings.schedule, settings.lr, state.step + i);
      let prevEnd = sharedClockMs();
      const r = await runSegment({ t0: state.step + 1, start: this.cursor, batch: settings.batch, rows: T, count, lrs: this.lrs }, (_i, loss, rows, endMs, mathMs, gradSq, traceSigma) => {
        const e = this.completed(loss, rows, prevEnd, endMs, mathMs, gradSq, traceSigma);
        prevEnd = endMs;
        steps++;
        o.onStep?.(e);
      });
      checkStatus(r.status, state.step + 1);
      stopped = r.stopped;
    } else {
      // engines stepped one step at a time (in-process, the browser's)
      for (; steps < count && !this.stopRequested; steps++) {
        const start = this.cursor;
        o.onStep?.(await this.oneStep(start, Math.min(start + settings.batch, T), learningRate(settings.schedule, settings.lr, state.step)));
      }
      stopped = this.stopRequested || this.engine.stopAgreed === true;
    }
    if (this.cursor < T) return { steps, stopped };
    return { steps, stopped, epoch: await this.endEpoch() };
  }

  /** One step on the batch order[start..end) at rate lr through the engine's step; its bookkeeping and event (not the epoch's end). */
  private async oneStep(start: number, end: number, lr: number): Promise<StepEvent> {
    const t = this.state.step + 1;
    const t0 = sharedClockMs();
    checkStatus(await this.engine.step(t, start, end, lr), t);
    let loss = 0;
    for (let s = 0; s < this.data.shardLoss.length; s++) loss += this.data.shardLoss[s];
    // the workers' noise partials of the step, summed as the engine's end of step does (same bits)
    const n = this.noiseOut;
    if (noiseDue(this.layout, t)) writeNoiseOfStep(this.layout, this.noisePartials, end - start, n, 0);
    else n[0] = n[1] = NaN;
    return this.completed(loss, end - start, t0, sharedClockMs(), this.engine.lastMathMs, n[0], n[1]);
  }

  /** Asks advance() to end after the current step (the engine's workers see it at their next end of step). */
  requestStop(): void {
    this.stopRequested = true;
    this.engine.requestStop?.();
  }

  /** Shuffles the epoch's order when a new epoch begins. */
  private beginEpoch(): void {
    if (this.shuffledEpoch === this.state.epoch) return;
    shuffleInPlace(this.data.order, this.rng);
    this.shuffledEpoch = this.state.epoch;
    this.epochT0 = sharedClockMs();
    this.epochSamples = 0;
  }

  /**
   * The bookkeeping of a completed step of B rows with summed loss `loss`, from t0Ms to endMs
   * (sharedClockMs), `mathMs` of it math, its noise estimate (gradSq, traceSigma; NaN if it did
   * not measure it); its event.
   */
  private completed(loss: number, B: number, t0Ms: number, endMs: number, mathMs: number, gradSq: number, traceSigma: number): StepEvent {
    const { state } = this;
    state.step++;
    state.position++;
    state.lossSum += loss;
    this.cursor += B;
    this.epochSamples += B;
    let noise: Pick<StepEvent, 'noise' | 'noiseEma'> = {};
    if (!Number.isNaN(gradSq)) {
      const now = { gradSq, traceSigma, bSimple: traceSigma / gradSq };
      noise = { noise: now, noiseEma: this.noiseEma.update(now) };
      state.noise = this.noiseEma.snapshot();
    }
    return {
      type: 'step',
      epoch: state.epoch + 1,
      step: state.step,
      stepsPerEpoch: this.stepsPerEpoch,
      batchSize: B,
      loss: loss / B,
      samplesPerSec: B / ((endMs - t0Ms) / 1000),
      elapsedMs: endMs - this.t0,
      mathMs,
      ...noise,
    };
  }

  /** What this process sent to and received from other ranks so far, and the exchanges (one process: all 0). */
  get comm(): CommCounts {
    return this.engine.comm ?? NO_COMM;
  }

  /** Validation loss and accuracy of the current θ (NaN without validation rows). */
  evaluate(): { loss: number; accuracy: number } {
    const { val, X, Y } = this.rows;
    if (val.length === 0) return { loss: NaN, accuracy: NaN };
    const e = evaluateParams(this.settings.spec, this.views.params, X, Y, val, this.options.evalKernels);
    return { loss: e.loss, accuracy: e.accuracy };
  }

  private async endEpoch(): Promise<EpochEvent> {
    const { state, settings } = this;
    // the epoch's samples/s is its training: validation is not in it (as trainLocal's and PyTorch's epochs)
    const trained = sharedClockMs();
    await this.sync(false);
    const v = this.evaluate();
    const now = sharedClockMs();
    const T = this.rows.train.length;
    const comm = this.comm;
    const noise = this.noise;
    const event: EpochEvent = {
      type: 'epoch',
      epoch: state.epoch + 1,
      step: state.step,
      trainLoss: state.lossSum / T,
      valLoss: v.loss,
      valAccuracy: v.accuracy,
      samplesPerSec: this.epochSamples / ((trained - this.epochT0) / 1000),
      elapsedMs: now - this.t0,
      comm: commSince(comm, this.commAtEpoch),
      ...(noise ? { noise } : {}),
    };
    this.commAtEpoch = comm;
    state.history.push(event);
    if (v.loss < state.bestValLoss) {
      state.bestValLoss = v.loss;
      state.sinceBest = 0;
    } else if (Number.isFinite(v.loss)) {
      state.sinceBest++;
    }
    state.epoch++;
    state.position = 0;
    state.lossSum = 0;
    this.cursor = 0;
    if (settings.earlyStop !== undefined && state.sinceBest >= settings.earlyStop) this.stoppedEarly = true;
    return event;
  }

  /**
   * Across ranks with the slices exchange, each step leaves a rank only its own slice of θ: this
   * gathers all of θ (and with `state` the optimizer state) on every rank. Collective (every rank
   * after the same step); the epoch's end does it itself; a no-op otherwise.
   */
  async sync(state = false): Promise<void> {
    await this.engine.sync?.(state);
  }

  /** The smoothed gradient noise scale so far (undefined before the first measured step). */
  get noise(): NoiseEstimate | undefined {
    return this.noiseEma.count > 0 ? this.noiseEma.value() : undefined;
  }

  /** A copy of θ (across ranks with slices: after sync()). */
  params(): Float32Array {
    return Float32Array.from(this.views.params);
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
