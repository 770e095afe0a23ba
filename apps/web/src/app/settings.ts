import { checkSetting, SETTINGS, syncFor, type SettingName } from '@shardgrad/coordinator/settings';
import { errors, isShardgradError, type Activation, type OptimizerKind } from '@shardgrad/core';
import type { LocalSync } from '@shardgrad/worker';
import type { DatasetName } from '../data/dataset.js';

export interface Settings {
  readonly dataset: DatasetName;
  readonly hidden: number[];
  readonly activation: Activation;
  readonly optimizer: OptimizerKind;
  /** weight decay λ (--weight-decay); undefined: the optimizer's own (0, adamw 0.01) */
  readonly weightDecay?: number;
  readonly lr: number;
  readonly batch: number;
  readonly workers: number;
  /** every layer also receives every lower layer (connections that skip layers) */
  readonly skips: boolean;
  /** --sync local:H / hogwild with --replicas (the CLI's settings); undefined: step, gradients averaged every step */
  readonly sync?: LocalSync;
}

export const DATASETS: readonly DatasetName[] = ['xor', 'circles', 'spiral', 'blobs', 'mnist'];

/** The form's raw strings, as the page reads them (an empty weight decay: the optimizer's own). */
export type RawSettings = Record<Exclude<keyof Settings, 'weightDecay' | 'sync'>, string> & {
  readonly weightDecay?: string;
  /** the sync select (step, local, hogwild), local's H and its replicas; absent: step */
  readonly sync?: string;
  readonly every?: string;
  readonly replicas?: string;
};

/** The sync select's choices: --sync step, local:H (with H and --replicas from their fields), hogwild. */
export const SYNC_CHOICES = ['step', 'local', 'hogwild'] as const;

/** The connections select: layered, or every layer connected to every lower one. */
export const SKIP_CHOICES = ['none', 'all'] as const;

/** The form's name of each training setting it has (the settings schema names the field; the page its label). */
const LABELS: Partial<Record<SettingName, string>> = { activation: 'activation', optimizer: 'optimizer', weightDecay: 'weight decay', lr: 'learning rate', batch: 'batch size', sync: 'sync', replicas: 'replicas' };

/** Re-throws a settings-schema error with the form's label of its field. */
function labelled<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isShardgradError(e) && e.setting) throw errors.badInput(LABELS[e.setting.field as SettingName] ?? e.setting.field, e.setting.problem);
    throw e;
  }
}

/** A setting checked by the settings schema (the CLI's and the library's checks), its error naming the form's label. */
function checked<K extends SettingName>(name: K, value: unknown): ReturnType<typeof checkSetting<K>> {
  return labelled(() => checkSetting(name, value));
}

/**
 * The sync fields as the CLI's --sync/--replicas (syncFor, the schema's checks, errors naming the
 * form's field): step → undefined; local → local:H with R replicas of the page's V shards; hogwild.
 */
export function parseSync(raw: Pick<RawSettings, 'sync' | 'every' | 'replicas'>, shards: number): LocalSync | undefined {
  const kind = raw.sync ?? 'step';
  if (!(SYNC_CHOICES as readonly string[]).includes(kind)) throw errors.badInput('sync', `unknown choice "${kind}" (step, local or hogwild)`);
  if (kind !== 'local') return labelled(() => syncFor({ sync: kind }, shards));
  const every = (raw.every ?? '').trim();
  const replicas = numberOf(raw.replicas ?? '');
  return labelled(() => syncFor({ sync: `local:${every}`, replicas }, shards));
}

/** The choices of the form's selects that are training settings: the registries', through the schema (main.ts fills the selects). */
export const FORM_CHOICES: Readonly<Record<'activation' | 'optimizer', readonly string[]>> = {
  activation: SETTINGS.activation.choices,
  optimizer: SETTINGS.optimizer.choices,
};

/** A number field's text as a number (an empty field is not 0). */
const numberOf = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/** The largest batch the page's run memory is laid out for. */
export const MAX_BATCH = 1024;

/**
 * Parses the playground's form: the training settings through the settings schema, then the
 * page's own bounds. A value a user can get wrong throws a one-line ShardgradError that names the
 * field, e.g. `hidden layers: "8,x": sizes must be integers 1…256`.
 */
export function parseSettings(raw: RawSettings, maxWorkers: number, shards = 16): Settings {
  if (!DATASETS.includes(raw.dataset as DatasetName)) throw errors.badInput('dataset', `unknown dataset "${raw.dataset}"`);
  const parts = raw.hidden.split(',').map((s) => s.trim());
  const hidden = raw.hidden.trim() === '' ? [] : parts.map(Number);
  if (hidden.length > 4 || hidden.some((n) => !Number.isInteger(n) || n < 1 || n > 256))
    throw errors.badInput('hidden layers', `"${raw.hidden}": up to 4 comma-separated sizes, integers 1…256`);
  const activation = checked('activation', raw.activation);
  const optimizer = checked('optimizer', raw.optimizer);
  const weightDecay = raw.weightDecay === undefined || raw.weightDecay.trim() === '' ? undefined : checked('weightDecay', numberOf(raw.weightDecay));
  const lr = checked('lr', numberOf(raw.lr));
  const batch = checked('batch', numberOf(raw.batch));
  if (batch > MAX_BATCH) throw errors.badInput('batch size', `${batch} is more than the page's ${MAX_BATCH}`);
  const workers = Number(raw.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > maxWorkers)
    throw errors.badInput('workers', `"${raw.workers}": must be an integer 1…${maxWorkers}`);
  if (!(SKIP_CHOICES as readonly string[]).includes(raw.skips)) throw errors.badInput('connections', `unknown choice "${raw.skips}" (none or all)`);
  const sync = parseSync(raw, shards);
  return {
    dataset: raw.dataset as DatasetName,
    hidden,
    activation,
    optimizer,
    ...(weightDecay !== undefined ? { weightDecay } : {}),
    lr,
    batch,
    workers,
    skips: raw.skips === 'all',
    ...(sync ? { sync } : {}),
  };
}
