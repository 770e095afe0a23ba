/**
 * Learning-rate schedules, a pure function of the 0-based step so that a resumed run continues
 * exactly where it stopped.
 * - constant: η
 * - step:     η·γ^⌊step / every⌋
 * - cosine:   η_min + (η − η_min)·(1 + cos(π·step / total))/2, then η_min after `total` steps
 */
export type Schedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly every: number; readonly gamma: number }
  | { readonly kind: 'cosine'; readonly total: number; readonly minLr: number };

export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

export function learningRate(schedule: Schedule, lr: number, step: number): number {
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
