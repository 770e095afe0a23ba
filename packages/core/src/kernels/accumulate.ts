import type { FloatArray, Kernels } from './kernels.js';

/**
 * The accumulating products that connections skipping layers need (docs/design.md, "Connections
 * that skip layers"): the kernel's own form where it has one, else the plain loops below, which
 * define the bits. Each output element depends only on its own row, so the result does not depend
 * on which rows share a call (the engine's bits for any worker count).
 */

/** v(m,n) += y(m,k)·W(k,n): one more incoming block W^{k→l} added onto v^l. */
export function gemmAccumulate(kernels: Kernels, v: FloatArray, y: FloatArray, W: FloatArray, m: number, k: number, n: number): void {
  if (kernels.gemmAcc?.(v, y, W, m, k, n)) return;
  for (let i = 0; i < m; i++) {
    const vi = i * n;
    for (let p = 0; p < k; p++) {
      const yip = y[i * k + p];
      const wp = p * n;
      for (let j = 0; j < n; j++) v[vi + j] += yip * W[wp + j];
    }
  }
}

/** dy(m,k) += dv(m,n)·W(k,n)ᵀ: the gradient a skip block W^{k→l} sends back to layer k. */
export function gemmNTAccumulate(kernels: Kernels, dy: FloatArray, dv: FloatArray, W: FloatArray, m: number, n: number, k: number): void {
  if (kernels.gemmNTAcc?.(dy, dv, W, m, n, k)) return;
  for (let i = 0; i < m; i++) {
    const di = i * n;
    for (let p = 0; p < k; p++) {
      let s = 0;
      const wp = p * n;
      for (let j = 0; j < n; j++) s += dv[di + j] * W[wp + j];
      dy[i * k + p] += s;
    }
  }
}

/** dW(k,n) += y(m,k)ᵀ·dv(m,n): the weight gradient of a block without a bias (a skip block W^{k→l}). */
export function gemmTNAccumulateWeights(dW: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const di = i * n;
    for (let p = 0; p < k; p++) {
      const yip = y[i * k + p];
      const wp = p * n;
      for (let j = 0; j < n; j++) dW[wp + j] += yip * dv[di + j];
    }
  }
}
