import { checkSetting, SETTINGS, type SettingName } from '@shardgrad/coordinator/settings';
import { errors, isShardgradError, type Activation, type OptimizerKind } from '@shardgrad/core';
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
}

export const DATASETS: readonly DatasetName[] = ['xor', 'circles', 'spiral', 'blobs', 'mnist'];

/** The form's raw strings, as the page reads them (an empty weight decay: the optimizer's own). */
export type RawSettings = Record<Exclude<keyof Settings, 'weightDecay'>, string> & { readonly weightDecay?: string };

/** The connections select: layered, or every layer connected to every lower one. */
export const SKIP_CHOICES = ['none', 'all'] as const;

/** The form's name of each training setting it has (the settings schema names the field; the page its label). */
const LABELS: Partial<Record<SettingName, string>> = { activation: 'activation', optimizer: 'optimizer', weightDecay: 'weight decay', lr: 'learning rate', batch: 'batch size' };

/** A setting checked by the settings schema (the CLI's and the library's checks), its error naming the form's label. */
function checked<K extends SettingName>(name: K, value: unknown): ReturnType<typeof checkSetting<K>> {
  try {
    return checkSetting(name, value);
  } catch (e) {
    if (isShardgradError(e) && e.setting) throw errors.badInput(LABELS[name] ?? name, e.setting.problem);
    throw e;
  }
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
export function parseSettings(raw: RawSettings, maxWorkers: number): Settings {
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
  };
}
