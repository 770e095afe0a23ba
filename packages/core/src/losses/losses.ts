import type { FloatArray } from '../kernels/kernels.js';

/**
 * Losses, each with its gradient beside it. Per sample:
 * - `mse`: the lecture's L = (1/N)·Σ_k (y_k − ŷ_k)² over the N outputs, ∂L/∂ŷ_k = −(2/N)(y_k − ŷ_k).
 * - `ce`:  cross-entropy L = −Σ_k y_k·log ŷ_k after a softmax output; fused, ∂L/∂v_k = ŷ_k − y_k.
 * Over a batch both are averaged over the samples; the functions here return *sums* over rows so
 * that shard results can be added in a fixed order and divided by the batch size once.
 */
export type Loss = 'mse' | 'ce';
export const LOSSES: readonly Loss[] = ['mse', 'ce'];

/** Σ over rows of the per-sample MSE. yHat, t: (rows, n). */
export function mse_sum(yHat: FloatArray, t: FloatArray, rows: number, n: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * n;
    for (let k = 0; k < n; k++) {
      const d = t[o + k] - yHat[o + k];
      s += d * d;
    }
    total += s / n;
  }
  return total;
}

/** dyHat = ∂L/∂ŷ = −(2/N)(y − ŷ) for every row (not divided by the batch size). */
export function mse_backward(dyHat: FloatArray, yHat: FloatArray, t: FloatArray, rows: number, n: number): void {
  const c = -2 / n;
  const len = rows * n;
  for (let i = 0; i < len; i++) dyHat[i] = c * (t[i] - yHat[i]);
}

/**
 * Σ over rows of −Σ_k t_k·log softmax(v)_k, computed from the logits v with log-sum-exp so that
 * a confident wrong answer gives a large finite loss instead of log(0).
 */
export function softmax_cross_entropy_sum(v: FloatArray, t: FloatArray, rows: number, n: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let max = -Infinity;
    for (let k = 0; k < n; k++) if (v[o + k] > max) max = v[o + k];
    let sum = 0;
    for (let k = 0; k < n; k++) sum += Math.exp(v[o + k] - max);
    const lse = max + Math.log(sum);
    for (let k = 0; k < n; k++) if (t[o + k] !== 0) total -= t[o + k] * (v[o + k] - lse);
  }
  return total;
}

/** dv = ŷ − t: softmax and cross-entropy differentiated together (valid when each row of t sums to 1). */
export function softmax_cross_entropy_backward(dv: FloatArray, yHat: FloatArray, t: FloatArray, rows: number, n: number): void {
  const len = rows * n;
  for (let i = 0; i < len; i++) dv[i] = yHat[i] - t[i];
}
