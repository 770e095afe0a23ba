import type { FloatArray } from '../kernels/kernels.js';

/**
 * Input scaling fitted on the training rows only and saved with the model, so that evaluation and
 * prediction see inputs exactly as training did.
 * - standardize: x' = (x − mean) / std   (std of a constant column is taken as 1)
 * - minmax:      x' = (x − min) / (max − min)   (a constant column maps to 0)
 */
export type Preprocess =
  | { readonly kind: 'none' }
  | { readonly kind: 'standardize'; readonly mean: number[]; readonly std: number[] }
  | { readonly kind: 'minmax'; readonly min: number[]; readonly max: number[] };

export const PREPROCESS_KINDS = ['none', 'standardize', 'minmax'] as const;

/**
 * Fits `kind` on rows [0, rows) of X (rows_total, d) — pass the training rows only — or, with
 * `at`, on rows at[0], …, at[rows − 1] in that order (the same sums as on those rows gathered).
 */
export function fitPreprocess(kind: Preprocess['kind'], X: FloatArray, rows: number, d: number, at?: ArrayLike<number>): Preprocess {
  if (kind === 'none') return { kind };
  const base = (r: number) => (at ? at[r] : r) * d;
  if (kind === 'minmax') {
    const min = new Array<number>(d).fill(Infinity);
    const max = new Array<number>(d).fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      const o = base(r);
      for (let j = 0; j < d; j++) {
        const x = X[o + j];
        if (x < min[j]) min[j] = x;
        if (x > max[j]) max[j] = x;
      }
    }
    return { kind, min, max };
  }
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (let r = 0; r < rows; r++) {
    const o = base(r);
    for (let j = 0; j < d; j++) mean[j] += X[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(rows, 1);
  for (let r = 0; r < rows; r++) {
    const o = base(r);
    for (let j = 0; j < d; j++) {
      const c = X[o + j] - mean[j];
      std[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / Math.max(rows, 1));
    std[j] = s > 1e-12 ? s : 1;
  }
  return { kind, mean, std };
}

/** Applies p in place to all `rows` rows of X (rows, d). */
export function applyPreprocess(p: Preprocess, X: FloatArray, rows: number, d: number): void {
  if (p.kind === 'none') return;
  if (p.kind === 'standardize') {
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) X[r * d + j] = (X[r * d + j] - p.mean[j]) / p.std[j];
    return;
  }
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < d; j++) {
      const span = p.max[j] - p.min[j];
      X[r * d + j] = span > 0 ? (X[r * d + j] - p.min[j]) / span : 0;
    }
}
