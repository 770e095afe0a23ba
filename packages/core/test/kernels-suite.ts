// The kernel suite shared by every implementation: each product checked against its index
// definition, computed independently in float64.
import { describe, expect, it } from 'vitest';
import { Rng, type Kernels } from '../src/index.js';

/** The products written independently, straight from the index definitions, in float64. */
const naive = {
  gemmBias(y: Float32Array, W: Float32Array, b: Float32Array, m: number, k: number, n: number) {
    const v = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = b[j];
      for (let p = 0; p < k; p++) s += y[i * k + p] * W[p * n + j];
      v[i * n + j] = s;
    }
    return v;
  },
  gemmNT(dv: Float32Array, W: Float32Array, m: number, n: number, k: number) {
    const dy = new Float64Array(m * k);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += dv[i * n + j] * W[p * n + j];
      dy[i * k + p] = s;
    }
    return dy;
  },
  gemmTN(y: Float32Array, dv: Float32Array, m: number, k: number, n: number) {
    const dW = new Float64Array(k * n);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += y[i * k + p] * dv[i * n + j];
      dW[p * n + j] = s;
    }
    return dW;
  },
};

export function rand(len: number, rng: Rng) {
  return Float32Array.from({ length: len }, () => rng.uniform(-1, 1));
}

/**
 * float32 against float64: a sum of `depth` float32 products drifts by up to ~depth·2⁻²⁴ relative,
 * so the bound grows with the summed length; a wrong index gives errors of order 1.
 */
function expectClose(actual: Float32Array, expected: Float64Array, depth: number) {
  const rel = Math.max(1e-5, 4e-7 * depth);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThan(rel);
}

/** One suite, run on every kernel implementation. */
export function kernelSuite(kernels: Kernels) {
  describe(`${kernels.name} kernels agree with the index definitions`, () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 5],
      [17, 3, 255],
      [4, 255, 1],
      [33, 64, 10],
      [64, 784, 128],
      // every tile path: 6-row tiles + single rows, 8-, 4- and 1-column strips (13 = 8 + 4 + 1)
      [7, 13, 9],
      [255, 3, 17],
      // reductions longer than the wasm K block (256): the blocks must add up
      [300, 20, 13],
      [6, 300, 260],
    ];
    for (const [m, k, n] of shapes) {
      it(`m=${m} k=${k} n=${n}`, () => {
        const rng = new Rng(m * 1000 + k * 10 + n);
        const y = rand(m * k, rng);
        const W = rand(k * n, rng);
        const b = rand(n, rng);
        const dv = rand(m * n, rng);
        const v = new Float32Array(m * n);
        kernels.gemmBias(v, y, W, b, m, k, n);
        expectClose(v, naive.gemmBias(y, W, b, m, k, n), k);
        const dy = new Float32Array(m * k);
        kernels.gemmNT(dy, dv, W, m, n, k);
        expectClose(dy, naive.gemmNT(dv, W, m, n, k), n);
        // accumulation: start from a known non-zero gradient and add
        const dW = new Float32Array(k * n).fill(0.5);
        const db = new Float32Array(n).fill(-0.25);
        kernels.gemmTNAcc(dW, db, y, dv, m, k, n);
        expectClose(dW, naive.gemmTN(y, dv, m, k, n).map((x) => x + 0.5), m);
        const colSum = new Float64Array(n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) colSum[j] += dv[i * n + j];
        expectClose(db, colSum.map((x) => x - 0.25), m);
      });
    }
  });
}

