import { errors, HIDDEN_ACTIVATIONS, OPTIMIZERS, type Activation, type OptimizerKind } from '@shardgrad/core';
import type { DatasetName } from '../data/dataset.js';

export interface Settings {
  readonly dataset: DatasetName;
  readonly hidden: number[];
  readonly activation: Activation;
  readonly optimizer: OptimizerKind;
  readonly lr: number;
  readonly batch: number;
  readonly workers: number;
  /** every layer also receives every lower layer (connections that skip layers) */
  readonly skips: boolean;
}

export const DATASETS: readonly DatasetName[] = ['xor', 'circles', 'spiral', 'blobs', 'mnist'];

/** The form's raw strings, as the page reads them. */
export type RawSettings = Record<keyof Settings, string>;

/** The connections select: layered, or every layer connected to every lower one. */
export const SKIP_CHOICES = ['none', 'all'] as const;

/**
 * Parses the playground's form. A value a user can get wrong throws a one-line ShardgradError that
 * names the field, e.g. `hidden layers: "8,x": sizes must be integers 1…256`.
 */
export function parseSettings(raw: RawSettings, maxWorkers: number): Settings {
  if (!DATASETS.includes(raw.dataset as DatasetName)) throw errors.badInput('dataset', `unknown dataset "${raw.dataset}"`);
  const parts = raw.hidden.split(',').map((s) => s.trim());
  const hidden = raw.hidden.trim() === '' ? [] : parts.map(Number);
  if (hidden.length > 4 || hidden.some((n) => !Number.isInteger(n) || n < 1 || n > 256))
    throw errors.badInput('hidden layers', `"${raw.hidden}": up to 4 comma-separated sizes, integers 1…256`);
  if (!HIDDEN_ACTIVATIONS.includes(raw.activation as Activation)) throw errors.badInput('activation', `unknown activation "${raw.activation}"`);
  if (!OPTIMIZERS.includes(raw.optimizer as OptimizerKind)) throw errors.badInput('optimizer', `unknown optimizer "${raw.optimizer}"`);
  const lr = Number(raw.lr);
  if (!Number.isFinite(lr) || lr <= 0 || lr > 10) throw errors.badInput('learning rate', `"${raw.lr}": must be a number in (0, 10]`);
  const batch = Number(raw.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1024) throw errors.badInput('batch size', `"${raw.batch}": must be an integer 1…1024`);
  const workers = Number(raw.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > maxWorkers)
    throw errors.badInput('workers', `"${raw.workers}": must be an integer 1…${maxWorkers}`);
  if (!(SKIP_CHOICES as readonly string[]).includes(raw.skips)) throw errors.badInput('connections', `unknown choice "${raw.skips}" (none or all)`);
  return {
    dataset: raw.dataset as DatasetName,
    hidden,
    activation: raw.activation as Activation,
    optimizer: raw.optimizer as OptimizerKind,
    lr,
    batch,
    workers,
    skips: raw.skips === 'all',
  };
}
