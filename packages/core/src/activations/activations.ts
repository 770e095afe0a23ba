import type { FloatArray } from '../kernels/kernels.js';

/**
 * Activations g and their derivatives g', kept side by side (the lecture's y = g(v)).
 * `softmax` is only allowed on the output layer together with cross-entropy, where the two are
 * fused (see losses/softmax_cross_entropy.ts).
 */
export type Activation = 'sigmoid' | 'relu' | 'tanh' | 'identity' | 'softmax';
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'relu', 'tanh', 'identity', 'softmax'];
/** Activations a hidden layer may use. */
export const HIDDEN_ACTIVATIONS: readonly Activation[] = ['sigmoid', 'relu', 'tanh', 'identity'];

/** g(v) for one scalar; the teaching trace and tests use it. */
export function activate(kind: Exclude<Activation, 'softmax'>, v: number): number {
  switch (kind) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'relu':
      return v > 0 ? v : 0;
    case 'tanh':
      return Math.tanh(v);
    case 'identity':
      return v;
  }
}

/**
 * g'(v) for one scalar, written from y = g(v) where the lecture does: sigmoid g' = g(1−g),
 * ReLU g' = 1 for v > 0 and 0 for v ≤ 0, tanh g' = 1 − g², identity g' = 1.
 */
export function derivative(kind: Exclude<Activation, 'softmax'>, v: number, y: number): number {
  switch (kind) {
    case 'sigmoid':
      return y * (1 - y);
    case 'relu':
      return v > 0 ? 1 : 0;
    case 'tanh':
      return 1 - y * y;
    case 'identity':
      return 1;
  }
}

/** y = g(v) elementwise over len values; softmax is applied per row of n values. */
export function activation_forward(kind: Activation, y: FloatArray, v: FloatArray, rows: number, n: number): void {
  const len = rows * n;
  switch (kind) {
    case 'sigmoid':
      for (let i = 0; i < len; i++) y[i] = 1 / (1 + Math.exp(-v[i]));
      return;
    case 'relu':
      for (let i = 0; i < len; i++) y[i] = v[i] > 0 ? v[i] : 0;
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) y[i] = Math.tanh(v[i]);
      return;
    case 'identity':
      for (let i = 0; i < len; i++) y[i] = v[i];
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        let max = -Infinity;
        for (let j = 0; j < n; j++) if (v[o + j] > max) max = v[o + j];
        let sum = 0;
        for (let j = 0; j < n; j++) {
          const e = Math.exp(v[o + j] - max);
          y[o + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < n; j++) y[o + j] *= inv;
      }
      return;
  }
}

/** dv = dy ⊙ g'(v), the chain-rule factor ∂y/∂v applied elementwise. Not defined for softmax. */
export function activation_backward(
  kind: Activation,
  dv: FloatArray,
  dy: FloatArray,
  v: FloatArray,
  y: FloatArray,
  len: number,
): void {
  switch (kind) {
    case 'sigmoid':
      for (let i = 0; i < len; i++) dv[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case 'relu':
      for (let i = 0; i < len; i++) dv[i] = v[i] > 0 ? dy[i] : 0;
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) dv[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'identity':
      for (let i = 0; i < len; i++) dv[i] = dy[i];
      return;
    case 'softmax':
      throw new Error('softmax backward exists only fused with cross-entropy');
  }
}
