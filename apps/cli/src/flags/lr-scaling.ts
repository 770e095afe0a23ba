import { errors, LR_SCALE_RULES, withWarmupAndScale, type LrScaleRule, type Schedule } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { nonNegativeInt, numberOption, positiveInt } from './numbers.js';

/** --lr-warmup, --lr-scale and --base-batch as yargs delivers them. */
export interface LrScalingFlags {
  lrWarmup?: unknown;
  lrScale?: unknown;
  baseBatch?: unknown;
}

/** Adds --lr-warmup, --lr-scale and --base-batch (train and lab batch). */
export function lrScalingOptions(a: Argv): Argv {
  return a
    .option('lr-warmup', numberOption('steps of linear warmup from 0, composed with --lr-schedule (Goyal et al. 2017)', 0))
    .option('lr-scale', { choices: LR_SCALE_RULES, default: 'none' as LrScaleRule, describe: 'scale --lr with the batch: linear η·B/B0 or sqrt η·√(B/B0), B0 = --base-batch' })
    .option('base-batch', numberOption('the batch size B0 that --lr was tuned for (with --lr-scale linear or sqrt)'));
}

/** The schedule with the warmup and the batch scaling composed in; every bad value is one line naming its flag. */
export function scheduleWithScaling(f: LrScalingFlags, schedule: Schedule, batch: number): Schedule {
  const warmup = f.lrWarmup === undefined ? 0 : nonNegativeInt('--lr-warmup', f.lrWarmup);
  if (Array.isArray(f.lrScale)) throw errors.badInput('--lr-scale', `given ${f.lrScale.length} times, give it once`);
  const rule = (f.lrScale ?? 'none') as LrScaleRule;
  const baseBatch = f.baseBatch === undefined ? undefined : positiveInt('--base-batch', f.baseBatch);
  if (rule === 'none' && baseBatch !== undefined) throw errors.badInput('--base-batch', 'only applies with --lr-scale linear or sqrt');
  if (rule !== 'none' && baseBatch === undefined) throw errors.badInput('--lr-scale', `${rule} needs --base-batch B0, the batch size --lr was tuned for`);
  return withWarmupAndScale(schedule, warmup, rule, baseBatch, batch);
}
