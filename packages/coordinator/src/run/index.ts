/**
 * @shardgrad/coordinator/run: the training run and the in-process engine — no Node import, so the
 * web demo bundles the same run as the CLI.
 */
export * from './training-run.js';
export * from './step-engine.js';
export * from './in-process-engine.js';
export * from './local-sync-engine.js';
export * from './default-shards.js';
export type { EpochEvent, LoopState, StepEvent } from './events.js';
// the built-in data sets, one definition for the CLI and the page
export { makeSynthetic, SYNTHETIC, SYNTHETIC_NAMES, type SyntheticName, type SyntheticOptions } from '../data/synthetic.js';
export type { Dataset } from '../data/dataset.js';
