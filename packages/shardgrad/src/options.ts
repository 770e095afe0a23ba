import { availableParallelism } from 'node:os';
import {
  ACTIVATIONS,
  allSkips,
  errors,
  LOSSES,
  mlpSpec,
  normalizeSkips,
  OPTIMIZER_DEFAULTS,
  OPTIMIZERS,
  optimizerConfig,
  type Activation,
  type Initializer,
  type Loss,
  type MLPSpec,
  type OptimizerConfig,
  type OptimizerKind,
  type Preprocess,
} from '@shardgrad/core';
import {
  checkSetting,
  checkWorkers,
  DEFAULTS as SETTING_DEFAULTS,
  MAX_WORKERS_PER_CORE,
  settingOrDefault,
  withWarmupAndScaling,
  shardsFor,
  syncFor,
  type ScheduleObject,
  type ScheduleText,
  type SettingValues,
} from '@shardgrad/coordinator/settings'; // the schema alone: its types reach no worker-pool library
import { parseFaultSpec, type FaultSpec, type KernelChoice, type LocalSync } from '@shardgrad/worker';
import { closest } from 'fastest-levenshtein';
import type { Inputs, Targets, Task } from './data.js';
import type { EpochEvent, StepEvent } from './events.js';

/** An optimizer by name (with its usual constants) or with some constants changed. */
export type OptimizerOption =
  | OptimizerKind
  | { readonly kind: OptimizerKind; readonly momentum?: number; readonly beta1?: number; readonly beta2?: number; readonly eps?: number; readonly weightDecay?: number };

/** A learning-rate schedule: the CLI's text forms, or an object. `cosine` decays over the whole run. */
export type ScheduleOption = ScheduleText | ScheduleObject;

/**
 * Everything `train()` and `new Trainer()` accept. Only x and y are required. The training
 * settings (activation, weightDecay, lr, schedule, lrWarmup, lrScale, baseBatch, batch, epochs, workers, shards, seed, init,
 * preprocess, valSplit, earlyStop, noiseEvery, kernel, sync, replicas, outer) are the settings schema's (SettingValues): the same
 * names, types, defaults and checks as the CLI's flags (docs/api.md).
 */
export interface TrainOptions extends Omit<SettingValues, 'optimizer'> {
  /** inputs: rows of numbers, or a flat array of N·D numbers (then `layers` gives D) */
  readonly x: Inputs;
  /** targets: class labels, rows of one-hot or regression targets, or regression values */
  readonly y: Targets;
  /** every layer size, input to output (e.g. [784, 128, 10]); default [D, ...hidden, C] */
  readonly layers?: readonly number[];
  /** hidden layer sizes when `layers` is not given; default [128] */
  readonly hidden?: readonly number[];
  /** classification or regression; default: detected from y (see docs/api.md) */
  readonly task?: Task;
  readonly output?: Activation;
  readonly loss?: Loss;
  /** connections that skip layers: 'all', or [from, to] layer-number pairs (0 = input) */
  readonly skips?: 'all' | readonly (readonly [number, number])[];
  /** an optimizer by name, or { kind, …constants } (weightDecay may also be given on its own) */
  readonly optimizer?: OptimizerOption;
  /** validation rows of their own, instead of valSplit */
  readonly validation?: { readonly x: Inputs; readonly y: Targets };
  /** return the weights of the epoch with the lowest validation loss instead of the last step's; default false */
  readonly restoreBest?: boolean;
  /** stops training after the current step; the model so far is returned (stoppedBy: 'abort') */
  readonly signal?: AbortSignal;
  readonly onStep?: (event: StepEvent) => void;
  readonly onEpoch?: (event: EpochEvent) => void;
  /** for tests: make a worker fail (an object, or the CLI's SHARDGRAD_FAULT text "worker=1,step=3,kind=exit") */
  readonly fault?: FaultSpec | string;
}

/** The defaults, the same as `shardgrad train`'s: the settings schema's, and the hidden layers. */
export const DEFAULTS = { hidden: [128], ...SETTING_DEFAULTS } as const;

/** `workers` default: one per core, as the CLI. */
export const defaultWorkers = (): number => availableParallelism();

/** The most worker threads per core accepted (the settings schema's, as the CLI). */
export { MAX_WORKERS_PER_CORE };

const OPTION_NAMES: readonly (keyof TrainOptions)[] = [
  'x', 'y', 'layers', 'hidden', 'task', 'activation', 'output', 'loss', 'skips', 'optimizer', 'weightDecay', 'lr', 'schedule', 'lrWarmup', 'lrScale', 'baseBatch', 'batch', 'epochs', 'shards',
  'seed', 'init', 'preprocess', 'valSplit', 'validation', 'earlyStop', 'noiseEvery', 'restoreBest', 'workers', 'kernel', 'sync', 'replicas', 'outer', 'signal', 'onStep', 'onEpoch', 'fault',
];

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v));
const oneOf = (list: readonly string[]) => list.join(', ');

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.badInput(field, `must be a positive integer, got ${show(v)}`);
  return v;
}

function flag(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw errors.badInput(field, `must be true or false, got ${show(v)}`);
  return v;
}

function choice<T extends string>(field: string, v: unknown, list: readonly T[]): T {
  if (!list.includes(v as T)) throw errors.badInput(field, `must be one of ${oneOf(list)}, got ${show(v)}`);
  return v as T;
}

/** Unknown option names are mistakes (a typo would otherwise silently use the default). */
export function checkOptionNames(o: object): void {
  if (o === null || typeof o !== 'object') throw errors.badInput('options', 'expected an object such as { x, y, layers }');
  for (const key of Object.keys(o))
    if (!(OPTION_NAMES as readonly string[]).includes(key))
      throw errors.badInput(key, `is not an option (did you mean ${closest(key, OPTION_NAMES as string[])}?)`);
}

const CONSTANTS = Object.keys(OPTIMIZER_DEFAULTS);

/** The optimizer option (a name, or { kind, …constants }) and the weightDecay option, checked, with the optimizer's own defaults. */
export function optimizerOf(v: unknown, weightDecay: unknown): OptimizerConfig {
  const decay = weightDecay === undefined ? {} : { weightDecay: checkSetting('weightDecay', weightDecay) };
  if (typeof v === 'string') return optimizerConfig(checkSetting('optimizer', v), decay);
  if (v === null || typeof v !== 'object') throw errors.badSetting('optimizer', `must be one of ${oneOf(OPTIMIZERS)} or { kind, ${CONSTANTS.map((k) => `${k}?`).join(', ')} }, got ${show(v)}`);
  const { kind, ...rest } = v as { kind: unknown } & Record<string, unknown>;
  const overrides: Record<string, number> = {};
  for (const [k, value] of Object.entries(rest)) {
    if (!CONSTANTS.includes(k)) throw errors.badInput(`optimizer.${k}`, `is not an optimizer setting (${CONSTANTS.join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw errors.badInput(`optimizer.${k}`, `must be a non-negative number, got ${show(value)}`);
    overrides[k] = value;
  }
  if (weightDecay !== undefined && 'weightDecay' in overrides) throw errors.badSetting('weightDecay', 'give it once: as weightDecay or as optimizer.weightDecay');
  // the optimizer's own constants fill whatever is not given (a bare { kind: 'sgd' } used to leave weightDecay undefined)
  return optimizerConfig(checkSetting('optimizer', kind), { ...overrides, ...decay });
}

/** The settings that do not depend on the data, checked (the settings schema's checks) and with defaults filled in. */
export interface Resolved {
  readonly optimizer: OptimizerConfig;
  readonly lr: number;
  readonly batch: number;
  readonly epochs: number;
  readonly shards: number;
  readonly seed: number;
  readonly init: Initializer;
  readonly preprocess: Preprocess['kind'];
  readonly valSplit: number;
  readonly earlyStop?: number;
  readonly noiseEvery: number;
  readonly restoreBest: boolean;
  readonly workers: number;
  readonly kernel: KernelChoice;
  readonly fault?: FaultSpec;
  /** sync other than step: local:H (with replicas, outer) or hogwild */
  readonly sync?: LocalSync;
}

/** The CLI's fault text, its errors naming the option rather than the CLI's variable. */
function faultOf(text: string): FaultSpec | undefined {
  try {
    return parseFaultSpec(text);
  } catch (e) {
    throw errors.badInput('fault', (e as Error).message.replace(/^[A-Z_]+: /, ''));
  }
}

export function resolveSettings(o: TrainOptions): Resolved {
  const workers = o.workers === undefined ? defaultWorkers() : checkWorkers(o.workers, availableParallelism());
  const valSplit = settingOrDefault('valSplit', o.valSplit);
  if (o.validation !== undefined && valSplit > 0) throw errors.badInput('validation', 'give validation rows or valSplit, not both');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw errors.badInput('signal', 'must be an AbortSignal');
  for (const k of ['onStep', 'onEpoch'] as const) if (o[k] !== undefined && typeof o[k] !== 'function') throw errors.badInput(k, 'must be a function');
  const fault = typeof o.fault === 'string' ? faultOf(o.fault) : o.fault;
  settingOrDefault('schedule', o.schedule); // its form now, its length once the rows are known
  withWarmupAndScaling(o, { kind: 'constant' }, 1); // lrScale and baseBatch go together
  const shards = shardsFor(o.shards, settingOrDefault('batch', o.batch));
  const sync = syncFor(o, shards);
  return {
    optimizer: optimizerOf(o.optimizer ?? DEFAULTS.optimizer, o.weightDecay),
    lr: settingOrDefault('lr', o.lr),
    batch: settingOrDefault('batch', o.batch),
    epochs: settingOrDefault('epochs', o.epochs),
    shards,
    seed: settingOrDefault('seed', o.seed),
    init: settingOrDefault('init', o.init),
    preprocess: settingOrDefault('preprocess', o.preprocess),
    valSplit,
    ...(o.earlyStop !== undefined ? { earlyStop: checkSetting('earlyStop', o.earlyStop) } : {}),
    noiseEvery: settingOrDefault('noiseEvery', o.noiseEvery),
    restoreBest: flag('restoreBest', o.restoreBest ?? false),
    workers,
    kernel: settingOrDefault('kernel', o.kernel),
    ...(fault ? { fault } : {}),
    ...(sync ? { sync } : {}),
  };
}

function sizeList(field: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw errors.badInput(field, `must be an array of positive integers, got ${show(v)}`);
  v.forEach((s, i) => positiveInt(`${field}[${i}]`, s));
  return v as number[];
}

/** Where the input and output sizes come from before the data is looked at. */
export function declaredSizes(o: TrainOptions): { inputs?: number; outputs?: number } {
  if (o.layers === undefined) return {};
  const sizes = sizeList('layers', o.layers);
  if (sizes.length < 2) throw errors.badInput('layers', `needs at least an input and an output size, got ${show(sizes)}`);
  return { inputs: sizes[0], outputs: sizes[sizes.length - 1] };
}

/**
 * The network: `layers`, or [inputs, ...hidden, outputs]. Without `output`/`loss`, classification
 * gets softmax + cross-entropy and regression identity + MSE; a non-softmax `output` implies MSE
 * (sigmoid for classes), as in the CLI.
 */
export function specOf(o: TrainOptions, inputs: number, outputs: number, task: Task): MLPSpec {
  if (o.layers !== undefined && o.hidden !== undefined) throw errors.badInput('hidden', 'give layers or hidden, not both');
  const sizes = o.layers !== undefined ? sizeList('layers', o.layers) : [inputs, ...sizeList('hidden', o.hidden ?? DEFAULTS.hidden), outputs];
  const activation = settingOrDefault('activation', o.activation);
  const given = o.output === undefined ? undefined : choice('output', o.output, ACTIVATIONS);
  const loss = o.loss !== undefined ? choice('loss', o.loss, LOSSES) : given === 'softmax' ? 'ce' : given !== undefined ? 'mse' : task === 'classification' ? 'ce' : 'mse';
  if (loss === 'ce' && task === 'regression') throw errors.badInput('loss', 'ce needs class labels, but y holds regression targets (give integer labels, or task: "classification")');
  if (given === 'softmax' && loss !== 'ce') throw errors.badInput('output', 'softmax is trained with the cross-entropy loss: use loss "ce" (or leave loss out)');
  if (given !== undefined && given !== 'softmax' && loss === 'ce') throw errors.badInput('output', `${given} cannot be trained with loss "ce" (cross-entropy needs a softmax output): use loss "mse"`);
  const output: Activation = given ?? (loss === 'ce' ? 'softmax' : task === 'classification' ? 'sigmoid' : 'identity');
  const L = sizes.length - 1;
  let skips: [number, number][] = [];
  if (o.skips === 'all') skips = allSkips(sizes);
  else if (o.skips !== undefined) {
    if (!Array.isArray(o.skips)) throw errors.badInput('skips', `must be "all" or [from, to] pairs, got ${show(o.skips)}`);
    skips = normalizeSkips(o.skips as [number, number][], L, 'skips');
  }
  return mlpSpec(sizes, activation, output, loss, skips);
}
