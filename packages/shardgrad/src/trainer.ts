import { iota, parseSchedule, settingsMeta, withWarmupAndScaling, sharedFloat32, Trainer as RunTrainer, type Dataset, type TrainEvent } from '@shardgrad/coordinator';
// the configuration's type from the coordinator's types alone, which reach no worker-pool library
import type { TrainConfig } from '@shardgrad/coordinator/api';
import { errors, validateSpec, type MLPSpec } from '@shardgrad/core';
import { inputMatrix, missingClasses, targetMatrix, type LabelOf, type Matrix, type TargetMatrix, type Targets } from './data.js';
import type { EpochEvent, StepEvent, TrainerEvents, TrainerListener } from './events.js';
import { Model, type TrainedModel } from './model.js';
import { checkOptionNames, declaredSizes, resolveSettings, specOf, type Resolved, type TrainOptions } from './options.js';

/** Rows one after the other in one new shared buffer (x then its validation rows). */
function stack(a: Matrix, b: Matrix): Float32Array {
  const out = sharedFloat32(a.X.length + b.X.length); // (Na + Nb, cols): the one copy, at setup
  out.set(a.X);
  out.set(b.X, a.X.length);
  return out;
}

/** What the constructor worked out: the coordinator's TrainConfig for these arrays, and what the model needs besides. */
interface Plan {
  readonly config: TrainConfig;
  readonly resolved: Resolved;
  readonly targets: TargetMatrix;
}

/** The options as the coordinator's TrainConfig: the data from the arrays, every setting checked by the settings schema. */
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
  // the validation rows are the data's test rows (valSplit 0), or valSplit's share of x
  const data: Dataset = { name: 'x', task: y.task, X, Y, rows: X.length / x.cols, inputs: x.cols, outputs: y.cols, trainRows: iota(x.rows), testRows: val, ...(y.classes ? { classes: y.classes } : {}) };
  const nTrain = x.rows - Math.round(x.rows * resolved.valSplit);
  const config: TrainConfig = {
    data,
    spec,
    optimizer: resolved.optimizer,
    lr: resolved.lr,
    schedule: withWarmupAndScaling(o, parseSchedule(o.schedule ?? 'constant', resolved.epochs * Math.ceil(Math.max(nTrain, 1) / resolved.batch)), resolved.batch),
    batch: resolved.batch,
    epochs: resolved.epochs,
    workers: resolved.workers,
    shards: resolved.shards,
    seed: resolved.seed,
    init: resolved.init,
    valSplit: resolved.valSplit,
    preprocess: resolved.preprocess,
    kernel: resolved.kernel,
    noiseEvery: resolved.noiseEvery,
    ...(resolved.earlyStop !== undefined ? { earlyStop: resolved.earlyStop } : {}),
    ...(resolved.restoreBest ? { restoreBest: true } : {}),
    ...(resolved.fault ? { fault: resolved.fault } : {}),
    ...(resolved.sync ? { sync: resolved.sync } : {}),
  };
  return { config, resolved, targets: y };
}

/** A regression run's epoch: no accuracy to report (NaN, not a classification metric of its outputs). */
const withoutAccuracy = (e: EpochEvent): EpochEvent => ({ ...e, valAccuracy: NaN });

/** Why training ended before its epochs, if it did. */
export type StoppedBy = 'early-stop' | 'abort';

/**
 * Training with control: construct (every option is checked at once; a bad one throws a one-line
 * ShardgradError naming it), subscribe to `step` and `epoch` events, `run()`, and `stop()` (or
 * abort the `signal`) to end after the current step with the model so far. A facade over the
 * coordinator's Trainer, the one training loop the CLI runs too.
 *
 * Promises: the same data, options and seed give bit-identical weights for any `workers`, and the
 * same weights as `shardgrad train` with the same settings. `Y` is the type of `y`: string labels
 * make `classify` give their names, anything else class indices.
 */
export class Trainer<Y extends Targets = Targets> {
  /** the settings in effect, defaults filled in */
  readonly settings: Omit<TrainConfig, 'data' | 'fault'>;
  private readonly plan: Plan;
  private readonly trainer: RunTrainer;
  private readonly listeners = { step: new Set<TrainerListener<'step'>>(), epoch: new Set<TrainerListener<'epoch'>>() };

  constructor(private readonly options: TrainOptions & { readonly y: Y }) {
    this.plan = plan(options);
    this.trainer = new RunTrainer(this.plan.config);
    const { data: _data, fault: _fault, ...settings } = this.plan.config;
    this.settings = settings;
    if (this.plan.resolved.earlyStop !== undefined && this.trainer.validationRows === 0) throw errors.badSetting('earlyStop', 'needs validation rows (valSplit or validation)');
    if (this.plan.resolved.restoreBest && this.trainer.validationRows === 0) throw errors.badInput('restoreBest', 'needs validation rows (valSplit or validation)');
    if (options.onStep) this.on('step', options.onStep);
    if (options.onEpoch) this.on('epoch', options.onEpoch);
    this.trainer.on((e) => this.emit(e));
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
    this.trainer.requestStop('abort');
  }

  /**
   * Trains once (a Trainer is single-use) and resolves with the model. A `signal` that is already
   * aborted rejects with its reason before any work.
   */
  async run(): Promise<TrainedModel<LabelOf<Y>>> {
    const signal = this.options.signal;
    signal?.throwIfAborted();
    const abort = () => this.stop();
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    let r;
    try {
      r = await this.trainer.run();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    const { config, targets } = this.plan;
    const stoppedBy: StoppedBy | undefined = r.stoppedBy === 'early-stop' || r.stoppedBy === 'abort' ? r.stoppedBy : undefined;
    const restored = r.restoredEpoch !== undefined ? { restoredEpoch: r.restoredEpoch } : {};
    return new Model<LabelOf<Y>>({
      spec: r.spec,
      params: r.params,
      preprocess: r.preprocess,
      task: config.data.task,
      ...(targets.classes ? { classes: targets.classes } : {}),
      history: config.data.task === 'regression' ? r.history.map(withoutAccuracy) : r.history,
      meta: {
        data: 'arrays',
        ...settingsMeta(config),
        steps: r.steps,
        epochs: r.history.length,
        ...(stoppedBy ? { stoppedBy } : {}),
        ...restored,
      },
      info: { steps: r.steps, wallMs: r.wallMs, kernel: r.kernel, workers: r.workers, workerRetries: r.workerRetries, comm: r.comm, ...(stoppedBy ? { stoppedBy } : {}), ...restored, ...(r.noise ? { noise: r.noise } : {}), ...(r.staleness ? { staleness: r.staleness } : {}) },
    }) as TrainedModel<LabelOf<Y>>;
  }

  private emit(e: TrainEvent): void {
    if (e.type === 'step') for (const l of this.listeners.step) l(e as StepEvent);
    else if (e.type === 'epoch') {
      const epoch = this.plan.config.data.task === 'regression' ? withoutAccuracy(e as EpochEvent) : (e as EpochEvent);
      for (const l of this.listeners.epoch) l(epoch);
    }
  }
}
