import type { Preprocess } from '@shardgrad/core';
import { sharedFloat32 } from '../data/dataset.js';

/**
 * Fits `kind` on the given training rows of X (N, D) only (float64 sums), the same formulas as
 * core's fitPreprocess.
 */
export function fitOnRows(kind: Preprocess['kind'], X: Float32Array, rows: Uint32Array, D: number): Preprocess {
  if (kind === 'none') return { kind };
  if (kind === 'minmax') {
    const min = new Array<number>(D).fill(Infinity);
    const max = new Array<number>(D).fill(-Infinity);
    for (const r of rows)
      for (let j = 0; j < D; j++) {
        const x = X[r * D + j];
        if (x < min[j]) min[j] = x;
        if (x > max[j]) max[j] = x;
      }
    return { kind, min, max };
  }
  const n = Math.max(rows.length, 1);
  const mean = new Array<number>(D).fill(0);
  const std = new Array<number>(D).fill(0);
  for (const r of rows) for (let j = 0; j < D; j++) mean[j] += X[r * D + j];
  for (let j = 0; j < D; j++) mean[j] /= n;
  for (const r of rows)
    for (let j = 0; j < D; j++) {
      const c = X[r * D + j] - mean[j];
      std[j] += c * c;
    }
  for (let j = 0; j < D; j++) {
    const s = Math.sqrt(std[j] / n);
    std[j] = s > 1e-12 ? s : 1;
  }
  return { kind, mean, std };
}

/**
 * X scaled by p, as one new shared copy (the caller's dataset is left as it was); X itself
 * when p is 'none'. One copy per run, shared by every worker.
 */
export function scaledInputs(p: Preprocess, X: Float32Array, D: number): Float32Array {
  if (p.kind === 'none') return X;
  const out = sharedFloat32(X.length);
  const N = X.length / D;
  for (let r = 0; r < N; r++)
    for (let j = 0; j < D; j++) {
      const i = r * D + j;
      if (p.kind === 'standardize') out[i] = (X[i] - p.mean[j]) / p.std[j];
      else {
        const span = p.max[j] - p.min[j];
        out[i] = span > 0 ? (X[i] - p.min[j]) / span : 0;
      }
    }
  return out;
}
