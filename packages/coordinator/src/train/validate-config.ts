import { errors, specLayout, validateSpec } from '@shardgrad/core';
import type { TrainConfig } from '../api.js';
import { checkSetting, checkSync, positiveInteger } from '../settings/schema.js';

/**
 * Checks every setting a user can get wrong, before anything is allocated: the schema's checks for
 * the settings (settings/schema.ts), then how the network fits the data. Each failure is a one-line
 * ShardgradError (exit code 2) naming the field; the CLI prints the flag instead.
 */
export function validateConfig(c: TrainConfig): void {
  checkSetting('lr', c.lr);
  checkSetting('batch', c.batch);
  checkSetting('epochs', c.epochs);
  checkSetting('workers', c.workers);
  checkSetting('shards', c.shards);
  checkSetting('seed', c.seed);
  checkSetting('valSplit', c.valSplit);
  if (c.earlyStop !== undefined) checkSetting('earlyStop', c.earlyStop);
  if (c.noiseEvery !== undefined) checkSetting('noiseEvery', c.noiseEvery);
  if (c.checkpointEvery !== undefined) positiveInteger(c.checkpointEvery, 'checkpointEvery');
  checkSetting('kernel', c.kernel);
  checkSetting('optimizer', c.optimizer?.kind);
  checkSetting('weightDecay', c.optimizer.weightDecay);
  checkSetting('init', c.init);
  checkSetting('preprocess', c.preprocess);
  checkSync(c.sync, c.shards);
  const ranks = c.distributed?.size ?? 1;
  if (c.sync?.kind === 'hogwild' && ranks > 1) throw errors.badSetting('sync', 'hogwild runs in one process, not across MPI ranks (use --sync step or local:H)');
  if (c.sync?.kind === 'local' && c.sync.replicas < ranks) throw errors.badSetting('replicas', `${c.sync.replicas} is fewer than the ${ranks} MPI ranks (each rank runs at least one replica)`);
  validateSpec(c.spec, 'layers');
  const { sizes } = c.spec;
  const d = c.data;
  if (sizes[0] !== d.inputs) throw errors.badSetting('layers', `the input layer has ${sizes[0]} units but the ${d.name} data has ${d.inputs} inputs`);
  const out = sizes[sizes.length - 1];
  if (out !== d.outputs) throw errors.badSetting('layers', `the output layer has ${out} units but the ${d.name} data has ${d.outputs} targets`);
  if (c.checkpointDir !== undefined && (typeof c.checkpointDir !== 'string' || c.checkpointDir === ''))
    throw errors.badSetting('checkpointDir', 'must be a directory path');
  if (c.from !== undefined) {
    if (c.resumeFrom !== undefined) throw errors.badSetting('from', 'cannot be combined with --resume (a checkpoint already holds θ and the input scaling)');
    const P = specLayout(c.spec).total;
    if (!(c.from.params instanceof Float32Array) || c.from.params.length !== P) throw errors.badSetting('from', `the model holds ${c.from.params?.length} parameters, the ${c.spec.sizes.join('-')} network has ${P}`);
    if (c.from.preprocess?.kind !== c.preprocess) throw errors.badSetting('from', `the model's preprocessing is ${c.from.preprocess?.kind}, this run has --preprocess ${c.preprocess}`);
  }
}
