import { fitOnRows, iota, nodeEngine, scaledInputs, sharedFloat32, splitRows, TrainingRun, type Dataset } from '@shardgrad/coordinator';
// the public types come from the run module, whose types reach no worker-pool library
import type { RunSettings } from '@shardgrad/coordinator/run';
import { errors, isShardgradError, validateSpec, type MLPSpec } from '@shardgrad/core';
import { createKernels } from '@shardgrad/worker';
import { inputMatrix, missingClasses, targetMatrix, type LabelOf, type Matrix, type TargetMatrix, type Targets } from './data.js';
import type { EpochEvent, StepEvent, TrainerEvents, TrainerListener } from './events.js';
import { Model, type TrainedModel } from './model.js';
import { checkOptionNames, declaredSizes, resolveSettings, scheduleOf, specOf, type Resolved, type TrainOptions } from './options.js';

/** Rows one after the other in one new shared buffer (x then its validation rows). */
function stack(a: Matrix, b: Matrix): Float32Array {
  const out = sharedFloat32(a.X.length + b.X.length); // (Na + Nb, cols): the one copy, at setup
  out.set(a.X);
  out.set(b.X, a.X.length);
  return out;
}

/** What the constructor worked out: the run's settings, the data as the run reads it, the rows. */
interface Plan {
  readonly settings: RunSettings;
  readonly resolved: Resolved;
  readonly data: Dataset;
  readonly train: Uint32Array;
  readonly val: Uint32Array;
  readonly targets: TargetMatrix;
}

function plan(o: TrainOptions): Plan {
  checkOptionNames(o);
  if (o.x === undefined) throw errors.badInput('x', 'is required: the input rows');
  if (o.y === undefined) throw errors.badInput('y', 'is required: one target (label or value) per row of x');
  const resolved = resolveSettings(o);
  const declared = declaredSizes(o);
  const last = o.layers ? `(layers[${o.layers.length - 1}])` : '';
  const x = inputMatrix('x', o.x, { count: declared.inputs, source: '(layers[0])' });
  const y = targetMatrix('y', o.y, { rows: x.rows, ...(o.task ? { task: o.task } : {}), ...(declared.outputs !== undefined ? { outputs: { count: declared.outputs, source: last } } : {}) });
  if (y.task === 'classification' && !y.classes) {
    const missing = missingClasses(y.X, y.rows, y.cols);
    if (missing.length > 0)
      process.emitWarning(
        `y: no row has class ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} (the labels go up to ${y.cols - 1}): ` +
          `${missing.length === 1 ? 'its output is' : 'their outputs are'} only ever trained towards 0`,
        { code: 'SHARDGRAD_MISSING_CLASS' },
      );
  }
  let X: Float32Array = x.X;
  let Y: Float32Array = y.X;
  let val: Uint32Array = new Uint32Array(0);
  const trainRows = iota(x.rows);
  if (o.validation !== undefined) {
    if (o.validation === null || typeof o.validation !== 'object') throw errors.badInput('validation', 'must be { x, y }');
    const vx = inputMatrix('validation.x', o.validation.x, { count: x.cols, source: '(like x)' });
    const vy = targetMatrix('validation.y', o.validation.y, {
      rows: vx.rows,
      task: y.task,
      outputs: { count: y.cols, source: '(like y)' },
      ...(y.classes ? { classes: y.classes } : {}),
    });
    X = stack(x, vx);
    Y = stack(y, vy);
    val = iota(vx.rows, x.rows);
  }
  const spec: MLPSpec = specOf(o, x.cols, y.cols, y.task);
  validateSpec(spec, 'layers');
  const data: Dataset = {
    name: 'x',
    task: y.task,
    X,
    Y,
    rows: X.length / x.cols,
    inputs: x.cols,
    outputs: y.cols,
    trainRows,
    testRows: val,
    ...(y.classes ? { classes: y.classes } : {}),
  };
  const nTrain = x.rows - Math.round(x.rows * resolved.valSplit);
  if (nTrain === 0) throw errors.badInput('valSplit', `${resolved.valSplit} leaves no training rows out of ${x.rows}`);
  if (resolved.batch > nTrain) throw errors.badInput('batch', `${resolved.batch} is larger than the ${nTrain} training rows`);
  const split = splitRows(data, resolved.valSplit, resolved.seed, resolved.batch);
  if (resolved.earlyStop !== undefined && split.val.length === 0) throw errors.badInput('earlyStop', 'needs validation rows (valSplit or validation)');
  if (resolved.restoreBest && split.val.length === 0) throw errors.badInput('restoreBest', 'needs validation rows (valSplit or validation)');
  const settings: RunSettings = {
    spec,
    optimizer: resolved.optimizer,
    lr: resolved.lr,
    schedule: scheduleOf(o.schedule ?? 'constant', resolved.epochs * Math.ceil(split.train.length / resolved.batch)),
    batch: resolved.batch,
    epochs: resolved.epochs,
    shards: resolved.shards,
    seed: resolved.seed,
    init: resolved.init,
    ...(resolved.earlyStop !== undefined ? { earlyStop: resolved.earlyStop } : {}),
  };
  return { settings, resolved, data, train: split.train, val: split.val, targets: y };
}

/** A regression run's epoch: no accuracy to report (NaN, not the classification metric of its outputs). */
const withoutAccuracy = (e: EpochEvent): EpochEvent => ({ ...e, valAccuracy: NaN });

/** Why training ended before its epochs, if it did. */
export type StoppedBy = 'early-stop' | 'abort';

/**
 * Training with control: construct (every option is checked at once; a bad one throws a one-line
 * ShardgradError naming it), subscribe to `step` and `epoch` events, `run()`, and `stop()` (or
 * abort the `signal`) to end after the current step with the model so far.
 *
 * Promises: the same data, options and seed give bit-identical weights for any `workers`, and the
 * same weights as `shardgrad train` with the same settings. `Y` is the type of `y`: string labels
 * make `classify` give their names, anything else class indices.
 */
export class Trainer<Y extends Targets = Targets> {
  /** the settings in effect, defaults filled in */
  readonly settings: RunSettings & { readonly workers: number; readonly kernel: string; readonly preprocess: string; readonly valSplit: number };
  private readonly plan: Plan;
  private readonly listeners = { step: new Set<TrainerListener<'step'>>(), epoch: new Set<TrainerListener<'epoch'>>() };
  private stopRequested = false;
  private started = false;

  constructor(private readonly options: TrainOptions & { readonly y: Y }) {
    this.plan = plan(options);
    const r = this.plan.resolved;
    this.settings = { ...this.plan.settings, workers: r.workers, kernel: r.kernel, preprocess: r.preprocess, valSplit: r.valSplit };
    if (options.onStep) this.on('step', options.onStep);
    if (options.onEpoch) this.on('epoch', options.onEpoch);
  }

  /** Calls `listener` after every step ('step') or epoch ('epoch'); returns the unsubscribe function. */
  on<K extends keyof TrainerEvents>(event: K, listener: TrainerListener<K>): () => void {
    const set = this.listeners[event] as Set<TrainerListener<K>> | undefined;
    if (!set) throw errors.badInput('event', `must be "step" or "epoch", got ${JSON.stringify(event)}`);
    if (typeof listener !== 'function') throw errors.badInput('listener', 'must be a function');
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Ends training after the current step; run() then resolves with the model so far (stoppedBy 'abort'). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Trains once (a Trainer is single-use) and resolves with the model. A `signal` that is already
   * aborted rejects with its reason before any work.
   */
  async run(): Promise<TrainedModel<LabelOf<Y>>> {
    if (this.started) throw errors.badInput('Trainer.run', 'was already called; make a new Trainer for another run');
    this.started = true;
    this.options.signal?.throwIfAborted();
    const t0 = performance.now();
    const { settings, resolved, data, train, val, targets } = this.plan;
    const D = data.inputs;
    const preprocess = fitOnRows(resolved.preprocess, data.X, train, D);
    const X = scaledInputs(preprocess, data.X, D); // (N, D): data.X itself, or one scaled shared copy
    let evalKernels;
    try {
      evalKernels = (await createKernels(resolved.kernel)).kernels;
    } catch (e) {
      // the worker package names the CLI flag; the library's field is `kernel`
      if (isShardgradError(e)) throw errors.badInput('kernel', e.message.replace(/^--kernel: /, ''));
      throw e;
    }
    const run = await TrainingRun.create(settings, { X, Y: data.Y, train, val }, {
      workers: resolved.workers,
      kernel: resolved.kernel,
      engine: nodeEngine(resolved.workers),
      evalKernels,
      ...(resolved.fault ? { fault: resolved.fault } : {}),
    });
    const signal = this.options.signal;
    let stoppedBy: StoppedBy | undefined;
    let workerRetries = 0;
    // restoreBest: θ of the epoch with the lowest validation loss, copied at that epoch's end (never per step)
    let best: { params: Float32Array; epoch: number; valLoss: number } | undefined;
    const regression = data.task === 'regression';
    try {
      while (!run.finished) {
        if (this.stopRequested || signal?.aborted) {
          stoppedBy = 'abort';
          break;
        }
        const { step, epoch } = await run.step();
        this.emit('step', step);
        if (!epoch) continue;
        if (resolved.restoreBest && epoch.valLoss < (best?.valLoss ?? Infinity)) {
          best ??= { params: new Float32Array(run.views.params.length), epoch: 0, valLoss: Infinity };
          best.params.set(run.views.params);
          best.epoch = epoch.epoch;
          best.valLoss = epoch.valLoss;
        }
        this.emit('epoch', regression ? withoutAccuracy(epoch) : epoch);
      }
      if (!stoppedBy && run.stoppedEarly) stoppedBy = 'early-stop';
    } finally {
      workerRetries = run.engine.retries;
      await run.close();
    }
    return new Model<LabelOf<Y>>({
      spec: settings.spec,
      params: best ? best.params : run.params(),
      preprocess,
      task: data.task,
      ...(targets.classes ? { classes: targets.classes } : {}),
      history: regression ? run.state.history.map(withoutAccuracy) : run.state.history,
      meta: {
        data: 'arrays',
        optimizer: settings.optimizer.kind,
        lr: settings.lr,
        schedule: settings.schedule,
        batch: settings.batch,
        shards: settings.shards,
        seed: settings.seed,
        valSplit: resolved.valSplit,
        steps: run.state.step,
        epochs: run.state.history.length,
        ...(stoppedBy ? { stoppedBy } : {}),
        ...(best ? { restoredEpoch: best.epoch } : {}),
      },
      info: {
        steps: run.state.step,
        wallMs: performance.now() - t0,
        kernel: evalKernels.name,
        workerRetries,
        ...(stoppedBy ? { stoppedBy } : {}),
        ...(best ? { restoredEpoch: best.epoch } : {}),
      },
    }) as TrainedModel<LabelOf<Y>>;
  }

  private emit(event: 'step', e: StepEvent): void;
  private emit(event: 'epoch', e: EpochEvent): void;
  private emit(event: 'step' | 'epoch', e: StepEvent | EpochEvent): void {
    for (const l of this.listeners[event]) (l as (e: StepEvent | EpochEvent) => void)(e);
  }
}

