import { errors, learningRate, LR_SCALE_RULES, withWarmupAndScale, type LrScaleRule, type Schedule } from '@shardgrad/core';

/** The form's warmup and batch-scaling fields, as the page reads them. */
export interface RawLrSchedule {
  readonly warmup: string;
  readonly scale: string;
  readonly baseBatch: string;
}

/** What the page needs to give every step its rate: core's schedule function over these fields. */
export interface LrSchedule {
  readonly warmup: number;
  readonly rule: LrScaleRule;
  readonly baseBatch: number;
}

/** Parses the fields; a bad one is a one-line error naming it (like the rest of the form). */
export function parseLrSchedule(raw: RawLrSchedule): LrSchedule {
  const warmup = Number(raw.warmup.trim() === '' ? 0 : raw.warmup);
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > 1e6) throw errors.badInput('lr warmup', `"${raw.warmup}": must be a whole number of steps 0…1000000`);
  if (!(LR_SCALE_RULES as readonly string[]).includes(raw.scale)) throw errors.badInput('lr scale', `unknown rule "${raw.scale}" (none, linear or sqrt)`);
  const baseBatch = Number(raw.baseBatch);
  if (!Number.isInteger(baseBatch) || baseBatch < 1 || baseBatch > 1024) throw errors.badInput('base batch', `"${raw.baseBatch}": must be an integer 1…1024`);
  return { warmup, rule: raw.scale as LrScaleRule, baseBatch };
}

/**
 * The rate of step `step` (0-based) for the form's η and batch: core's learningRate — the same
 * function `shardgrad train --lr-warmup W --lr-scale R --base-batch B0` uses — over a constant
 * schedule, so a batch changed while training rescales η at the next step.
 */
export function stepRate(s: LrSchedule, lr: number, batch: number, step: number): number {
  const schedule: Schedule = withWarmupAndScale({ kind: 'constant' }, s.warmup, s.rule, s.baseBatch, batch);
  return learningRate(schedule, lr, step);
}
