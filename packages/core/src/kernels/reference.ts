import type { FloatArray, Kernels } from './kernels.js';

/**
 * The reference kernels: the lecture's sums written as plain loops (i-k-j order so the inner loop
 * runs along rows). Slow, obvious, and the oracle every other kernel is tested against.
 * They work in float32 and float64 alike (gradient checks run in float64).
 */
export const referenceKernels: Kernels = {
  name: 'reference',

  gemmBias(v, y, W, b, m, k, n) {
    for (let i = 0; i < m; i++) {
      const vi = i * n;
      for (let j = 0; j < n; j++) v[vi + j] = b[j];
      for (let p = 0; p < k; p++) {
        const yip = y[i * k + p];
        const wp = p * n;
        for (let j = 0; j < n; j++) v[vi + j] += yip * W[wp + j];
      }
    }
  },

  gemmNT(dy, dv, W, m, n, k) {
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        let s = 0;
        const wp = p * n;
        const di = i * n;
        for (let j = 0; j < n; j++) s += dv[di + j] * W[wp + j];
        dy[i * k + p] = s;
      }
    }
  },

  gemmTNAcc(dW, db, y, dv, m, k, n) {
    for (let i = 0; i < m; i++) {
      const di = i * n;
      for (let j = 0; j < n; j++) db[j] += dv[di + j];
      for (let p = 0; p < k; p++) {
        const yip = y[i * k + p];
        const wp = p * n;
        for (let j = 0; j < n; j++) dW[wp + j] += yip * dv[di + j];
      }
    }
  },
};
