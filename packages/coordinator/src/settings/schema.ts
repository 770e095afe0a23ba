import { defaultShards } from '../run/default-shards.js';
import type { LocalSync, OuterOptimizer } from '@shardgrad/worker';
import { errors, HIDDEN_ACTIVATIONS, INITIALIZERS, LR_SCALE_RULES, OPTIMIZERS, PREPROCESS_KINDS, withWarmupAndScale, type Schedule } from '@shardgrad/core';

/**
 * The training settings, each defined once: its field name (the library option and TrainConfig
 * field), its type, its default, its check, a one-line description and its CLI flag. The CLI's
 * yargs options and --help are generated from here, the library's options and DEFAULTS and the web
 * form check through here, and the coordinator validates a TrainConfig with the same checks. A bad
 * value is one ShardgradError naming the field (`lr: must be a positive number, got -1`); the CLI
 * prints the flag instead (flagOf). Browser-safe: nothing here imports Node.
 */

/** How a value is written: a front end parses text into this before the check. */
export type SettingType = 'number' | 'integer' | 'choice' | 'text';

export interface Setting<T> {
  readonly type: SettingType;
  /** the CLI flag */
  readonly flag: string;
  /** the value used when none is given; undefined: none (the setting is off, or decided elsewhere: see defaultText) */
  readonly default: T | undefined;
  /** the default in words, where it is not a plain value (the docs and --help show it) */
  readonly defaultText?: string;
  /** the allowed values of a choice */
  readonly choices?: readonly string[];
  /** one line: what it does */
  readonly description: string;
  /** the value, checked: returned as is, or a ShardgradError naming `field` */
  readonly check: (value: unknown, field: string) => T;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v));

function positiveNumber(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw errors.badSetting(field, `must be a positive number, got ${show(v)}`);
  return v;
}

function nonNegativeNumber(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw errors.badSetting(field, `must be a non-negative number, got ${show(v)}`);
  return v;
}

export function positiveInteger(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.badSetting(field, `must be a positive integer, got ${show(v)}`);
  return v;
}

function nonNegativeInteger(note = '') {
  return (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw errors.badSetting(field, `must be a non-negative integer${note}, got ${show(v)}`);
    return v;
  };
}

function fraction(v: unknown, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw errors.badSetting(field, `must be a fraction in [0, 1), got ${show(v)}`);
  return v;
}

function oneOf<T extends string>(list: readonly T[]) {
  return (v: unknown, field: string): T => {
    if (!list.includes(v as T)) throw errors.badSetting(field, `must be one of ${list.join(', ')}, got ${show(v)}`);
    return v as T;
  };
}

/** The text forms of a schedule; SCHEDULE_FORMS names them in messages. */
export type ScheduleText = 'constant' | 'cosine' | `cosine:${number}` | `step:${number}:${number}`;
const SCHEDULE_FORMS = 'constant, step:EVERY:GAMMA or cosine[:MIN_LR]';

/** A schedule in the library's object form (`cosine` decays over the whole run). */
export type ScheduleObject = { readonly kind: 'constant' } | { readonly kind: 'step'; readonly every: number; readonly gamma: number } | { readonly kind: 'cosine'; readonly minLr?: number };

/**
 * The one schedule parser: a text form (`constant`, `step:EVERY:GAMMA`, `cosine[:MIN_LR]`) or an
 * object, into a Schedule over `totalSteps` steps. Errors name `field` (or `field.every`, …).
 */
export function parseSchedule(v: unknown, totalSteps: number, field = 'schedule'): Schedule {
  if (typeof v === 'string') {
    const [kind, ...args] = v.split(':');
    const bad = () => errors.badSetting(field, `must be ${SCHEDULE_FORMS}, got ${show(v)}`);
    const num = (s: string) => (s.trim() === '' ? NaN : Number(s));
    if (kind === 'constant' && args.length === 0) return { kind: 'constant' };
    if (kind === 'step' && args.length === 2) {
      const [every, gamma] = args.map(num);
      if (!Number.isInteger(every) || every < 1 || !Number.isFinite(gamma) || gamma <= 0) throw bad();
      return { kind: 'step', every, gamma };
    }
    if (kind === 'cosine' && args.length <= 1) {
      const minLr = args.length ? num(args[0]) : 0;
      if (!Number.isFinite(minLr) || minLr < 0) throw bad();
      return { kind: 'cosine', total: totalSteps, minLr };
    }
    throw bad();
  }
  const o = (v !== null && typeof v === 'object' ? v : {}) as { kind?: unknown; every?: unknown; gamma?: unknown; minLr?: unknown };
  if (o.kind === 'constant') return { kind: 'constant' };
  if (o.kind === 'step') return { kind: 'step', every: positiveInteger(o.every, `${field}.every`), gamma: positiveNumber(o.gamma, `${field}.gamma`) };
  if (o.kind === 'cosine') return { kind: 'cosine', total: totalSteps, minLr: nonNegativeNumber(o.minLr ?? 0, `${field}.minLr`) };
  throw errors.badSetting(field, `must be ${SCHEDULE_FORMS}, or { kind, … }, got ${show(v)}`);
}

/**
 * The run's schedule with the warmup and the batch scaling composed in (core's withWarmupAndScale;
 * none given: the schedule object as it was, so existing settings keep their bits). lrScale linear or
 * sqrt needs baseBatch, and baseBatch needs one of them: errors name the field.
 */
export function withWarmupAndScaling(o: { readonly lrWarmup?: unknown; readonly lrScale?: unknown; readonly baseBatch?: unknown }, schedule: Schedule, batch: number): Schedule {
  const warmup = settingOrDefault('lrWarmup', o.lrWarmup);
  const rule = settingOrDefault('lrScale', o.lrScale);
  const baseBatch = o.baseBatch === undefined ? undefined : checkSetting('baseBatch', o.baseBatch);
  if (rule === 'none' && baseBatch !== undefined) throw errors.badSetting('baseBatch', 'only applies with an lr scale (lrScale, --lr-scale) linear or sqrt');
  if (rule !== 'none' && baseBatch === undefined) throw errors.badSetting('lrScale', `${rule} needs the base batch B0 (baseBatch, --base-batch): the batch size lr was tuned for`);
  return withWarmupAndScale(schedule, warmup, rule, baseBatch, batch);
}

/** The text forms of --sync. */
export type SyncText = 'step' | 'hogwild' | `local:${number}`;
const SYNC_FORMS = 'step, local:H (H a positive integer: steps between averages) or hogwild';

/** --sync's text: step, hogwild, or local with its H. Errors name `field`. */
export function parseSyncText(v: unknown, field = 'sync'): { kind: 'step' } | { kind: 'hogwild' } | { kind: 'local'; every: number } {
  if (v === 'step' || v === 'hogwild') return { kind: v };
  const m = typeof v === 'string' ? /^local:(.*)$/.exec(v) : null;
  if (m) {
    const every = m[1].trim() === '' ? NaN : Number(m[1]);
    if (Number.isInteger(every) && every >= 1) return { kind: 'local', every };
    throw errors.badSetting(field, `local:H needs H a positive integer (steps between averages), got ${show(v)}`);
  }
  throw errors.badSetting(field, `must be ${SYNC_FORMS}, got ${show(v)}`);
}

/** --outer's text, nesterov:LR:MOMENTUM: LR positive, MOMENTUM in [0, 1). Errors name `field`. */
export function parseOuter(v: unknown, field = 'outer'): OuterOptimizer {
  const parts = typeof v === 'string' ? v.split(':') : [];
  const [lr, momentum] = parts.slice(1).map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (parts.length !== 3 || parts[0] !== 'nesterov' || !(lr > 0) || !Number.isFinite(lr) || !(momentum >= 0 && momentum < 1))
    throw errors.badSetting(field, `must be nesterov:LR:MOMENTUM (LR a positive number, MOMENTUM in [0, 1), e.g. nesterov:0.7:0.9), got ${show(v)}`);
  return { kind: 'nesterov', lr, momentum };
}

/**
 * The run's sync settings from their values (text or, for the library, the same text): undefined
 * for `step` (today's path, nothing recorded), else the LocalSync the engine runs. Checks what only
 * goes together: replicas and outer need local:H, replicas at most the shards. Errors name the field.
 */
export function syncFor(o: { readonly sync?: unknown; readonly replicas?: unknown; readonly outer?: unknown }, shards: number): LocalSync | undefined {
  const sync = parseSyncText(settingOrDefault('sync', o.sync));
  if (sync.kind !== 'local') {
    if (o.replicas !== undefined) throw errors.badSetting('replicas', `only applies with --sync local:H (sync is ${sync.kind})`);
    if (o.outer !== undefined) throw errors.badSetting('outer', `only applies with --sync local:H (sync is ${sync.kind})`);
    return sync.kind === 'hogwild' ? { kind: 'hogwild' } : undefined;
  }
  const replicas = o.replicas === undefined ? shards : checkSetting('replicas', o.replicas);
  if (replicas > shards) throw errors.badSetting('replicas', `${replicas} is more than the ${shards} virtual shards (each replica is at least one shard): give --shards ${replicas} or more`);
  const outer = o.outer === undefined ? undefined : parseOuter(checkSetting('outer', o.outer));
  return { kind: 'local', every: sync.every, replicas, ...(outer ? { outer } : {}) };
}

/** A LocalSync given as an object (TrainConfig.sync), checked as syncFor checks the text. */
export function checkSync(sync: unknown, shards: number): void {
  if (sync === undefined) return;
  const o = (sync ?? {}) as { kind?: unknown; every?: unknown; replicas?: unknown; outer?: { kind?: unknown; lr?: unknown; momentum?: unknown } };
  if (o.kind === 'hogwild') return;
  if (o.kind !== 'local') throw errors.badSetting('sync', `must be { kind: 'local', every, replicas, outer? } or { kind: 'hogwild' }, got ${show(o.kind)}`);
  syncFor({ sync: `local:${String(o.every)}`, replicas: o.replicas, ...(o.outer ? { outer: `${String(o.outer.kind)}:${String(o.outer.lr)}:${String(o.outer.momentum)}` } : {}) }, shards);
}

/** The kernels a run may use: auto = native where it loads, else wasm. */
export const KERNEL_CHOICES = ['auto', 'native', 'wasm', 'reference'] as const;
/** Worker threads per core beyond which a count is taken as a mistake (each worker holds its own memory). */
export const MAX_WORKERS_PER_CORE = 4;

/** Every training setting (the order of --help and the docs' tables). */
export const SETTINGS = {
  activation: {
    type: 'choice',
    flag: '--activation',
    default: 'relu',
    choices: HIDDEN_ACTIVATIONS,
    description: 'hidden-layer activation (gelu: exact, gelu-tanh: the tanh approximation)',
    check: oneOf(HIDDEN_ACTIVATIONS),
  },
  optimizer: {
    type: 'choice',
    flag: '--optimizer',
    default: 'sgd',
    choices: OPTIMIZERS,
    description: 'the optimizer (adamw: Adam with decoupled weight decay)',
    check: oneOf(OPTIMIZERS),
  },
  weightDecay: {
    type: 'number',
    flag: '--weight-decay',
    default: undefined,
    defaultText: "the optimizer's: 0, adamw 0.01",
    description: 'weight decay λ: an L2 term λθ in the gradient (sgd, momentum, nesterov, adam), decoupled θ ← θ(1 − ηλ) for adamw',
    check: nonNegativeNumber,
  },
  lr: { type: 'number', flag: '--lr', default: 0.1, description: 'learning rate η', check: positiveNumber },
  schedule: {
    type: 'text',
    flag: '--lr-schedule',
    default: 'constant',
    description: 'constant, step:EVERY:GAMMA (η·γ^⌊step/EVERY⌋) or cosine[:MIN_LR] over the whole run',
    check: (v: unknown, field: string): ScheduleText | ScheduleObject => (parseSchedule(v, 1, field), v as ScheduleText | ScheduleObject),
  },
  lrWarmup: {
    type: 'integer',
    flag: '--lr-warmup',
    default: 0,
    description: 'steps of linear warmup: the schedule’s rate times step/N for the first N steps (0 at step 0), composed with every schedule',
    check: nonNegativeInteger(' (0 = no warmup)'),
  },
  lrScale: {
    type: 'choice',
    flag: '--lr-scale',
    default: 'none',
    choices: LR_SCALE_RULES,
    description: 'scale lr with the batch (Goyal et al. 2017): linear η·B/B0 or sqrt η·√(B/B0), B0 the base batch; a cosine MIN_LR stays absolute',
    check: oneOf(LR_SCALE_RULES),
  },
  baseBatch: {
    type: 'integer',
    flag: '--base-batch',
    default: undefined,
    defaultText: 'none (needed with lrScale linear or sqrt)',
    description: 'B0: the batch size lr was tuned for, with lrScale linear or sqrt',
    check: positiveInteger,
  },
  batch: { type: 'integer', flag: '--batch', default: 64, description: 'mini-batch size (at most the training rows)', check: positiveInteger },
  epochs: { type: 'integer', flag: '--epochs', default: 5, description: 'passes over the training rows', check: positiveInteger },
  workers: {
    type: 'integer',
    flag: '--workers',
    default: undefined,
    defaultText: 'the number of cores',
    description: `worker threads, at most ${MAX_WORKERS_PER_CORE} per core; 0 runs the step in the calling thread; more than the shards run as many as there are shards`,
    check: nonNegativeInteger(' (0 = no worker threads)'),
  },
  shards: {
    type: 'integer',
    flag: '--shards',
    default: undefined,
    defaultText: 'batch / 16, from 1 to 16',
    description: 'virtual shards per batch; their sum is one fixed pairwise tree, so any worker count gives the same weights (more workers than shards run as many as there are shards)',
    check: positiveInteger,
  },
  seed: { type: 'integer', flag: '--seed', default: 1, description: 'seed of the weights, the shuffles and the held-out rows', check: nonNegativeInteger() },
  init: { type: 'choice', flag: '--init', default: 'glorot', choices: INITIALIZERS, description: 'weight initializer', check: oneOf(INITIALIZERS) },
  preprocess: {
    type: 'choice',
    flag: '--preprocess',
    default: 'standardize',
    defaultText: 'standardize (the CLI: none for mnist and idx data, whose pixels are in [0, 1])',
    choices: PREPROCESS_KINDS,
    description: 'input scaling fitted on the training rows and saved with the model',
    check: oneOf(PREPROCESS_KINDS),
  },
  valSplit: {
    type: 'number',
    flag: '--val-split',
    default: 0,
    description: "fraction of the training rows held out (seeded) and evaluated after every epoch; 0: the data's test split, if any",
    check: fraction,
  },
  earlyStop: { type: 'integer', flag: '--early-stop', default: undefined, description: 'stop when the validation loss has not improved for N epochs', check: positiveInteger },
  noiseEvery: {
    type: 'integer',
    flag: '--noise-every',
    default: 8,
    description: 'measure the gradient noise scale B_simple (|G|², tr(Σ), from the two halves at the top of the reduction tree) every N steps; it only reads the gradients, the weights are the same either way',
    check: nonNegativeInteger(' (0 = off)'),
  },
  sync: {
    type: 'text',
    flag: '--sync',
    default: 'step',
    description:
      'how often the workers meet: step = average the gradients every step; local:H = replicas train on their own shards and their models are averaged every H steps (local SGD; the same weights for any workers); hogwild = every worker updates the shared θ without waiting (racy, not reproducible)',
    check: (v: unknown, field: string): SyncText => (parseSyncText(v, field), v as SyncText),
  },
  replicas: {
    type: 'integer',
    flag: '--replicas',
    default: undefined,
    defaultText: 'the virtual shards (--shards)',
    description: 'with --sync local:H: R logical replicas, each a fixed contiguous group of the virtual shards with its own θ and optimizer state (at most the shards)',
    check: positiveInteger,
  },
  outer: {
    type: 'text',
    flag: '--outer',
    default: undefined,
    defaultText: "none: the replicas' plain average",
    description: 'with --sync local:H, DiLoCo: nesterov:LR:MOMENTUM = an outer SGD step with Nesterov momentum on Δ = θ_start − average of the replicas (e.g. nesterov:0.7:0.9)',
    check: (v: unknown, field: string): string => (parseOuter(v, field), v as string),
  },
  kernel: {
    type: 'choice',
    flag: '--kernel',
    default: 'auto',
    choices: KERNEL_CHOICES,
    description: 'matrix kernels: auto = native (AVX-512/AVX2, built at install) where available, else wasm',
    check: oneOf(KERNEL_CHOICES),
  },
} as const satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
/** The value type of a setting, from its check. */
export type SettingValue<K extends SettingName> = ReturnType<(typeof SETTINGS)[K]['check']>;
/** Every setting as an optional field (the library's options, the web form's values). */
export type SettingValues = { readonly [K in SettingName]?: SettingValue<K> };

/** The defaults that are plain values (weightDecay, workers, shards and earlyStop have none: see defaultText). */
export const DEFAULTS = Object.fromEntries(
  Object.entries(SETTINGS)
    .filter(([, s]) => s.default !== undefined)
    .map(([k, s]) => [k, s.default]),
) as { readonly [K in SettingName as (typeof SETTINGS)[K]['default'] extends undefined ? never : K]: SettingValue<K> };

/** Checks one setting's value; a bad one throws a ShardgradError naming the field. */
export function checkSetting<K extends SettingName>(name: K, value: unknown): SettingValue<K> {
  return (SETTINGS[name] as Setting<SettingValue<K>>).check(value, name);
}

/** A setting's value, or its default when undefined, checked. */
export function settingOrDefault<K extends SettingName>(name: K, value: unknown): SettingValue<K> {
  return checkSetting(name, value ?? SETTINGS[name].default);
}

/** The shard count of a run: the given one, checked, or by default defaultShards(batch) — shards of at least 16 rows. */
export function shardsFor(value: unknown, batch: number): number {
  return value === undefined ? defaultShards(batch) : checkSetting('shards', value);
}

/** A worker count checked against this machine's cores too (at most MAX_WORKERS_PER_CORE per core). */
export function checkWorkers(value: unknown, cores: number): number {
  const n = checkSetting('workers', value);
  const most = MAX_WORKERS_PER_CORE * cores;
  if (n > most)
    throw errors.badSetting('workers', `${n} is far more than the ${cores} core${cores === 1 ? '' : 's'} of this machine (at most ${most}: ${MAX_WORKERS_PER_CORE} per core)`);
  return n;
}

/** The CLI flag of a field (a schema setting, or one of the few run fields outside it), if it has one. */
export function flagOf(field: string): string | undefined {
  if (Object.hasOwn(SETTINGS, field)) return SETTINGS[field as SettingName].flag;
  return Object.hasOwn(OTHER_FLAGS, field) ? OTHER_FLAGS[field] : undefined;
}

/** Fields of a run that are not settings of the schema but do have a flag. */
const OTHER_FLAGS: Readonly<Record<string, string>> = {
  layers: '--layers',
  checkpointDir: '--checkpoint',
  checkpointEvery: '--checkpoint-every',
  resumeFrom: '--resume',
  from: '--from',
};

/** The training settings a model file's meta keeps (the CLI and the library save the same). */
export function settingsMeta(c: {
  readonly optimizer: { readonly kind: string };
  readonly lr: number;
  readonly schedule: Schedule;
  readonly batch: number;
  readonly shards: number;
  readonly seed: number;
  readonly valSplit: number;
}): Record<string, unknown> {
  return { optimizer: c.optimizer.kind, lr: c.lr, schedule: c.schedule, batch: c.batch, shards: c.shards, seed: c.seed, valSplit: c.valSplit };
}
