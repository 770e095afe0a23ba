import { errors, INITIALIZERS, OPTIMIZERS, PREPROCESS_KINDS, specLayout, validateSpec } from '@shardgrad/core';
import type { TrainConfig } from '../api.js';

const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function positiveNumber(flag: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw errors.badInput(flag, `must be a positive number, got ${describe(v)}`);
}

function positiveInt(flag: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.badInput(flag, `must be a positive integer, got ${describe(v)}`);
}

/**
 * Checks every setting a user can get wrong, before anything is allocated. Each failure is a
 * one-line ShardgradError (exit code 2) naming the CLI flag.
 */
export function validateConfig(c: TrainConfig): void {
  positiveNumber('--lr', c.lr);
  positiveInt('--batch', c.batch);
  positiveInt('--epochs', c.epochs);
  if (typeof c.workers !== 'number' || !Number.isInteger(c.workers) || c.workers < 0)
    throw errors.badInput('--workers', `must be a non-negative integer (0 = no worker threads), got ${describe(c.workers)}`);
  positiveInt('--shards', c.shards);
  if (typeof c.seed !== 'number' || !Number.isInteger(c.seed)) throw errors.badInput('--seed', `must be an integer, got ${describe(c.seed)}`);
  if (typeof c.valSplit !== 'number' || !(c.valSplit >= 0 && c.valSplit < 1))
    throw errors.badInput('--val-split', `must be a fraction in [0, 1), got ${describe(c.valSplit)}`);
  if (c.earlyStop !== undefined) positiveInt('--early-stop', c.earlyStop);
  if (c.checkpointEvery !== undefined) positiveInt('--checkpoint-every', c.checkpointEvery);
  if (!['auto', 'native', 'wasm', 'reference'].includes(c.kernel)) throw errors.badInput('--kernel', `must be auto, native, wasm or reference, got ${describe(c.kernel)}`);
  if (!OPTIMIZERS.includes(c.optimizer?.kind)) throw errors.badInput('--optimizer', `unknown optimizer ${describe(c.optimizer?.kind)}`);
  const wd = c.optimizer.weightDecay;
  if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0) throw errors.badInput('--weight-decay', `must be a non-negative number, got ${describe(wd)}`);
  if (!INITIALIZERS.includes(c.init)) throw errors.badInput('--init', `unknown initializer ${describe(c.init)}`);
  if (!PREPROCESS_KINDS.includes(c.preprocess)) throw errors.badInput('--preprocess', `unknown preprocessing ${describe(c.preprocess)}`);
  validateSpec(c.spec, '--layers');
  const { sizes } = c.spec;
  const d = c.data;
  if (sizes[0] !== d.inputs) throw errors.badInput('--layers', `the input layer has ${sizes[0]} units but the ${d.name} data has ${d.inputs} inputs`);
  const out = sizes[sizes.length - 1];
  if (out !== d.outputs) throw errors.badInput('--layers', `the output layer has ${out} units but the ${d.name} data has ${d.outputs} targets`);
  if (c.checkpointDir !== undefined && (typeof c.checkpointDir !== 'string' || c.checkpointDir === ''))
    throw errors.badInput('--checkpoint', 'must be a directory path');
  if (c.from !== undefined) {
    if (c.resumeFrom !== undefined) throw errors.badInput('--from', 'cannot be combined with --resume (a checkpoint already holds θ and the input scaling)');
    const P = specLayout(c.spec).total;
    if (!(c.from.params instanceof Float32Array) || c.from.params.length !== P) throw errors.badInput('--from', `the model holds ${c.from.params?.length} parameters, the ${c.spec.sizes.join('-')} network has ${P}`);
    if (c.from.preprocess?.kind !== c.preprocess) throw errors.badInput('--from', `the model's preprocessing is ${c.from.preprocess?.kind}, this run has --preprocess ${c.preprocess}`);
  }
}
