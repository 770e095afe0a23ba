import { errors } from '../errors.js';

/**
 * Learning-rate schedules, a pure function of the settings and the 0-based step, so that a resumed
 * run continues exactly where it stopped and the workers of an engine can evaluate it themselves.
 * - constant: η
 * - step:     η·γ^⌊step / every⌋
 * - cosine:   η_min + (η − η_min)·(1 + cos(π·step / total))/2, then η_min after `total` steps
 * Composed with every kind (both optional; absent, the kinds above are computed exactly as before):
 * - lrScale:  η = η₀·B/B0 (linear, Goyal et al. 2017) or η₀·√(B/B0) (sqrt), η₀ the given rate,
 *             B the run's batch and B0 the batch η₀ was tuned for. η_min (cosine) is absolute and
 *             not scaled.
 * - warmup:   for the first `warmup` steps the schedule's rate times step/warmup — linear from 0 at
 *             step 0 to the full rate at step `warmup` (the schedule itself is not delayed).
 */
export type ScheduleShape =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly every: number; readonly gamma: number }
  | { readonly kind: 'cosine'; readonly total: number; readonly minLr: number };

export const LR_SCALE_RULES = ['none', 'linear', 'sqrt'] as const;
export type LrScaleRule = (typeof LR_SCALE_RULES)[number];

/** η₀ tuned at batch `baseBatch`, used at batch `batch`. */
export interface LrScale {
  readonly rule: 'linear' | 'sqrt';
  readonly baseBatch: number;
  readonly batch: number;
}

export type Schedule = ScheduleShape & {
  /** steps of linear warmup from 0; absent or 0: none */
  readonly warmup?: number;
  /** batch-size scaling of the base rate; absent: none */
  readonly lrScale?: LrScale;
};

export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

/** B/B0 (linear) or √(B/B0) (sqrt). */
export function lrScaleFactor(s: LrScale): number {
  const ratio = s.batch / s.baseBatch;
  return s.rule === 'linear' ? ratio : Math.sqrt(ratio);
}

/** The learning rate of step `step` (0-based) for base rate `lr`. */
export function learningRate(schedule: Schedule, lr: number, step: number): number {
  const eta = schedule.lrScale ? lr * lrScaleFactor(schedule.lrScale) : lr;
  const rate = shapeRate(schedule, eta, step);
  const warmup = schedule.warmup ?? 0;
  return step < warmup ? (rate * step) / warmup : rate;
}

function shapeRate(schedule: ScheduleShape, lr: number, step: number): number {
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * Math.pow(schedule.gamma, Math.floor(step / schedule.every));
    case 'cosine': {
      if (step >= schedule.total) return schedule.minLr;
      return schedule.minLr + ((lr - schedule.minLr) * (1 + Math.cos((Math.PI * step) / schedule.total))) / 2;
    }
  }
}

/**
 * `schedule` with warmup and batch scaling added (`warmup` 0 and rule 'none' leave it as it is,
 * so existing settings keep their exact schedule object and bits).
 */
export function withWarmupAndScale(schedule: Schedule, warmup: number, rule: LrScaleRule, baseBatch: number | undefined, batch: number): Schedule {
  if (rule !== 'none' && baseBatch === undefined) throw errors.badInput('baseBatch', `lrScale ${rule} needs the batch size the learning rate was tuned for`);
  return {
    ...schedule,
    ...(warmup > 0 ? { warmup } : {}),
    ...(rule !== 'none' ? { lrScale: { rule, baseBatch: baseBatch!, batch } } : {}),
  };
}
