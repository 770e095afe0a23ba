import { availableParallelism } from 'node:os';
import {
  ACTIVATIONS,
  allSkips,
  errors,
  HIDDEN_ACTIVATIONS,
  INITIALIZERS,
  LOSSES,
  mlpSpec,
  normalizeSkips,
  OPTIMIZERS,
  optimizerConfig,
  PREPROCESS_KINDS,
  type Activation,
  type Initializer,
  type Loss,
  type MLPSpec,
  type OptimizerConfig,
  type OptimizerKind,
  type Preprocess,
  type Schedule,
} from '@shardgrad/core';
import { defaultShards } from '@shardgrad/coordinator';
import { parseFaultSpec, type FaultSpec, type KernelChoice } from '@shardgrad/worker';
import { closest } from 'fastest-levenshtein';
import type { Inputs, Targets, Task } from './data.js';
import type { EpochEvent, StepEvent } from './events.js';

/** An optimizer by name (with its usual constants) or with some constants changed. */
export type OptimizerOption =
  | OptimizerKind
  | { readonly kind: OptimizerKind; readonly momentum?: number; readonly beta1?: number; readonly beta2?: number; readonly eps?: number; readonly weightDecay?: number };

/** A learning-rate schedule: the CLI's text forms, or an object. `cosine` decays over the whole run. */
export type ScheduleOption =
  | 'constant'
  | 'cosine'
  | `cosine:${number}`
  | `step:${number}:${number}`
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly every: number; readonly gamma: number }
  | { readonly kind: 'cosine'; readonly minLr?: number };

/** Everything `train()` and `new Trainer()` accept. Only x and y are required. */
export interface TrainOptions {
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
  readonly activation?: Activation;
  readonly output?: Activation;
  readonly loss?: Loss;
  /** connections that skip layers: 'all', or [from, to] layer-number pairs (0 = input) */
  readonly skips?: 'all' | readonly (readonly [number, number])[];
  readonly optimizer?: OptimizerOption;
  readonly lr?: number;
  readonly schedule?: ScheduleOption;
  readonly batch?: number;
  readonly epochs?: number;
  /** virtual shards per batch: the determinism setting (same weights for any `workers`); default batch / 16, from 1 to 16 */
  readonly shards?: number;
  readonly seed?: number;
  readonly init?: Initializer;
  /** input scaling fitted on the training rows and saved with the model */
  readonly preprocess?: Preprocess['kind'];
  /** fraction of the rows held out for validation (seeded); 0 = none */
  readonly valSplit?: number;
  /** validation rows of their own, instead of valSplit */
  readonly validation?: { readonly x: Inputs; readonly y: Targets };
  /** stop when the validation loss has not improved for this many epochs */
  readonly earlyStop?: number;
  /** return the weights of the epoch with the lowest validation loss instead of the last step's; default false */
  readonly restoreBest?: boolean;
  /** worker threads; 0 = train in the calling thread */
  readonly workers?: number;
  readonly kernel?: KernelChoice;
  /** stops training after the current step; the model so far is returned (stoppedBy: 'abort') */
  readonly signal?: AbortSignal;
  readonly onStep?: (event: StepEvent) => void;
  readonly onEpoch?: (event: EpochEvent) => void;
  /** for tests: make a worker fail (an object, or the CLI's SHARDGRAD_FAULT text "worker=1,step=3,kind=exit") */
  readonly fault?: FaultSpec | string;
}

/** The defaults, the same as `shardgrad train`'s. */
export const DEFAULTS = {
  hidden: [128],
  activation: 'relu',
  optimizer: 'sgd',
  lr: 0.1,
  schedule: 'constant',
  batch: 64,
  epochs: 5,
  seed: 1,
  init: 'glorot',
  preprocess: 'standardize',
  valSplit: 0,
  kernel: 'auto',
} as const;

/** `workers` default: one per core, as the CLI. */
export const defaultWorkers = (): number => availableParallelism();

/** The most worker threads per core accepted (as the CLI). */
export const MAX_WORKERS_PER_CORE = 4;

const OPTION_NAMES: readonly (keyof TrainOptions)[] = [
  'x', 'y', 'layers', 'hidden', 'task', 'activation', 'output', 'loss', 'skips', 'optimizer', 'lr', 'schedule', 'batch', 'epochs', 'shards',
  'seed', 'init', 'preprocess', 'valSplit', 'validation', 'earlyStop', 'restoreBest', 'workers', 'kernel', 'signal', 'onStep', 'onEpoch', 'fault',
];

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v));
const oneOf = (list: readonly string[]) => list.join(', ');

export function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.badInput(field, `must be a positive integer, got ${show(v)}`);
  return v;
}

function nonNegativeInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw errors.badInput(field, `must be a non-negative integer, got ${show(v)}`);
  return v;
}

function positiveNumber(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw errors.badInput(field, `must be a positive number, got ${show(v)}`);
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

export function optimizerOf(v: unknown): OptimizerConfig {
  if (typeof v === 'string') return optimizerConfig(choice('optimizer', v, OPTIMIZERS));
  if (v === null || typeof v !== 'object') throw errors.badInput('optimizer', `must be one of ${oneOf(OPTIMIZERS)} or { kind, momentum?, beta1?, beta2?, eps?, weightDecay? }, got ${show(v)}`);
  const { kind, ...rest } = v as { kind: unknown } & Record<string, unknown>;
  const overrides: Record<string, number> = {};
  for (const [k, value] of Object.entries(rest)) {
    if (!['momentum', 'beta1', 'beta2', 'eps', 'weightDecay'].includes(k)) throw errors.badInput(`optimizer.${k}`, 'is not an optimizer setting (momentum, beta1, beta2, eps, weightDecay)');
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw errors.badInput(`optimizer.${k}`, `must be a non-negative number, got ${show(value)}`);
    overrides[k] = value;
  }
  // the usual constants fill whatever is not given (a bare { kind: 'sgd' } used to leave weightDecay undefined)
  return optimizerConfig(choice('optimizer.kind', kind, OPTIMIZERS), overrides);
}

/** The schedule over `totalSteps` steps (cosine decays over all of them). */
export function scheduleOf(v: unknown, totalSteps: number): Schedule {
  const bad = () => errors.badInput('schedule', `must be constant, step:EVERY:GAMMA, cosine[:MIN_LR] or { kind, … }, got ${show(v)}`);
  let o: { kind?: unknown; every?: unknown; gamma?: unknown; minLr?: unknown };
  if (typeof v === 'string') {
    const [kind, ...args] = v.split(':');
    if (kind === 'constant' && args.length === 0) o = { kind };
    else if (kind === 'step' && args.length === 2) o = { kind, every: Number(args[0]), gamma: Number(args[1]) };
    else if (kind === 'cosine' && args.length <= 1) o = { kind, minLr: args.length ? Number(args[0]) : 0 };
    else throw bad();
  } else if (v !== null && typeof v === 'object') o = v as typeof o;
  else throw bad();
  if (o.kind === 'constant') return { kind: 'constant' };
  if (o.kind === 'step') {
    positiveInt('schedule.every', o.every);
    positiveNumber('schedule.gamma', o.gamma);
    return { kind: 'step', every: o.every as number, gamma: o.gamma as number };
  }
  if (o.kind === 'cosine') {
    const minLr = o.minLr ?? 0;
    if (typeof minLr !== 'number' || !Number.isFinite(minLr) || minLr < 0) throw errors.badInput('schedule.minLr', `must be a non-negative number, got ${show(minLr)}`);
    return { kind: 'cosine', total: totalSteps, minLr };
  }
  throw bad();
}

/** The settings that do not depend on the data, checked and with defaults filled in. */
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
  readonly restoreBest: boolean;
  readonly workers: number;
  readonly kernel: KernelChoice;
  readonly fault?: FaultSpec;
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
  const cores = availableParallelism();
  const workers = o.workers === undefined ? defaultWorkers() : nonNegativeInt('workers', o.workers);
  if (workers > MAX_WORKERS_PER_CORE * cores)
    throw errors.badInput('workers', `${workers} is far more than the ${cores} cores of this machine (at most ${MAX_WORKERS_PER_CORE * cores})`);
  const valSplit = o.valSplit ?? DEFAULTS.valSplit;
  if (typeof valSplit !== 'number' || !(valSplit >= 0 && valSplit < 1)) throw errors.badInput('valSplit', `must be a fraction in [0, 1), got ${show(valSplit)}`);
  if (o.validation !== undefined && valSplit > 0) throw errors.badInput('validation', 'give validation rows or valSplit, not both');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw errors.badInput('signal', 'must be an AbortSignal');
  for (const k of ['onStep', 'onEpoch'] as const) if (o[k] !== undefined && typeof o[k] !== 'function') throw errors.badInput(k, 'must be a function');
  const fault = typeof o.fault === 'string' ? faultOf(o.fault) : o.fault;
  scheduleOf(o.schedule ?? DEFAULTS.schedule, 1); // its form now, its length once the rows are known
  return {
    optimizer: optimizerOf(o.optimizer ?? DEFAULTS.optimizer),
    lr: positiveNumber('lr', o.lr ?? DEFAULTS.lr),
    batch: positiveInt('batch', o.batch ?? DEFAULTS.batch),
    epochs: positiveInt('epochs', o.epochs ?? DEFAULTS.epochs),
    shards: o.shards === undefined ? defaultShards(positiveInt('batch', o.batch ?? DEFAULTS.batch)) : positiveInt('shards', o.shards),
    seed: nonNegativeInt('seed', o.seed ?? DEFAULTS.seed),
    init: choice('init', o.init ?? DEFAULTS.init, INITIALIZERS),
    preprocess: choice('preprocess', o.preprocess ?? DEFAULTS.preprocess, PREPROCESS_KINDS),
    valSplit,
    ...(o.earlyStop !== undefined ? { earlyStop: positiveInt('earlyStop', o.earlyStop) } : {}),
    restoreBest: flag('restoreBest', o.restoreBest ?? false),
    workers,
    kernel: choice('kernel', o.kernel ?? DEFAULTS.kernel, ['auto', 'native', 'wasm', 'reference'] as const),
    ...(fault ? { fault } : {}),
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
  const activation = choice('activation', o.activation ?? DEFAULTS.activation, HIDDEN_ACTIVATIONS);
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
