// The register tiles of index.ts, unrolled: tileRxN computes an R-row, N-column block of C over
// one K block, for R ∈ {6, 4, 2, 1} and N ∈ {8, 4}. The 6×8 tile is the workhorse: 12 f32x4
// accumulators + 2 B vectors + 1 broadcast. Two things keep V8 from spilling its accumulators
// (measured on Zen 4: a 6×8 tile at 27 GFLOP/s with either, 55 — the machine's relaxed-SIMD peak —
// without): the accumulators start from one pointer (`init`, row stride `initStride`: C itself, the
// bias row with stride 0, or a zero row) instead of a branch per mode, and a tile only stores —
// adding a tree's pending levels is a separate pass (treeStoreTile in index.ts).
import { madd } from './madd';

/** C(6, 8) = init + A(6, K)·B(K, 8), with 12 accumulators held in registers; init row r at init + r·initStride. */
export function tile6x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0); let c01 = v128.load(init + 0 * initStride, 16);
  let c10 = v128.load(init + 1 * initStride, 0); let c11 = v128.load(init + 1 * initStride, 16);
  let c20 = v128.load(init + 2 * initStride, 0); let c21 = v128.load(init + 2 * initStride, 16);
  let c30 = v128.load(init + 3 * initStride, 0); let c31 = v128.load(init + 3 * initStride, 16);
  let c40 = v128.load(init + 4 * initStride, 0); let c41 = v128.load(init + 4 * initStride, 16);
  let c50 = v128.load(init + 5 * initStride, 0); let c51 = v128.load(init + 5 * initStride, 16);
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  let a2 = a + 2 * ars;
  let a3 = a + 3 * ars;
  let a4 = a + 4 * ars;
  let a5 = a + 5 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
    const x2 = v128.load32_splat(a2); c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
    const x3 = v128.load32_splat(a3); c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
    const x4 = v128.load32_splat(a4); c40 = madd(x4, b0, c40); c41 = madd(x4, b1, c41);
    const x5 = v128.load32_splat(a5); c50 = madd(x5, b0, c50); c51 = madd(x5, b1, c51);
    a0 += aps; a1 += aps; a2 += aps; a3 += aps; a4 += aps; a5 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0); v128.store(c + 0 * ldc, c01, 16);
  v128.store(c + 1 * ldc, c10, 0); v128.store(c + 1 * ldc, c11, 16);
  v128.store(c + 2 * ldc, c20, 0); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30, 0); v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40, 0); v128.store(c + 4 * ldc, c41, 16);
  v128.store(c + 5 * ldc, c50, 0); v128.store(c + 5 * ldc, c51, 16);
}

/** C(4, 8) = init + A(4, K)·B(K, 8), with 8 accumulators held in registers; init row r at init + r·initStride. */
export function tile4x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0); let c01 = v128.load(init + 0 * initStride, 16);
  let c10 = v128.load(init + 1 * initStride, 0); let c11 = v128.load(init + 1 * initStride, 16);
  let c20 = v128.load(init + 2 * initStride, 0); let c21 = v128.load(init + 2 * initStride, 16);
  let c30 = v128.load(init + 3 * initStride, 0); let c31 = v128.load(init + 3 * initStride, 16);
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  let a2 = a + 2 * ars;
  let a3 = a + 3 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
    const x2 = v128.load32_splat(a2); c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
    const x3 = v128.load32_splat(a3); c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
    a0 += aps; a1 += aps; a2 += aps; a3 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0); v128.store(c + 0 * ldc, c01, 16);
  v128.store(c + 1 * ldc, c10, 0); v128.store(c + 1 * ldc, c11, 16);
  v128.store(c + 2 * ldc, c20, 0); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30, 0); v128.store(c + 3 * ldc, c31, 16);
}

/** C(2, 8) = init + A(2, K)·B(K, 8), with 4 accumulators held in registers; init row r at init + r·initStride. */
export function tile2x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0); let c01 = v128.load(init + 0 * initStride, 16);
  let c10 = v128.load(init + 1 * initStride, 0); let c11 = v128.load(init + 1 * initStride, 16);
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
    a0 += aps; a1 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0); v128.store(c + 0 * ldc, c01, 16);
  v128.store(c + 1 * ldc, c10, 0); v128.store(c + 1 * ldc, c11, 16);
}

/** C(1, 8) = init + A(1, K)·B(K, 8), with 2 accumulators held in registers; init row r at init + r·initStride. */
export function tile1x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0); let c01 = v128.load(init + 0 * initStride, 16);
  let a0 = a + 0 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
    a0 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0); v128.store(c + 0 * ldc, c01, 16);
}

/** C(6, 4) = init + A(6, K)·B(K, 4), with 6 accumulators held in registers; init row r at init + r·initStride. */
export function tile6x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0);
  let c10 = v128.load(init + 1 * initStride, 0);
  let c20 = v128.load(init + 2 * initStride, 0);
  let c30 = v128.load(init + 3 * initStride, 0);
  let c40 = v128.load(init + 4 * initStride, 0);
  let c50 = v128.load(init + 5 * initStride, 0);
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  let a2 = a + 2 * ars;
  let a3 = a + 3 * ars;
  let a4 = a + 4 * ars;
  let a5 = a + 5 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10);
    const x2 = v128.load32_splat(a2); c20 = madd(x2, b0, c20);
    const x3 = v128.load32_splat(a3); c30 = madd(x3, b0, c30);
    const x4 = v128.load32_splat(a4); c40 = madd(x4, b0, c40);
    const x5 = v128.load32_splat(a5); c50 = madd(x5, b0, c50);
    a0 += aps; a1 += aps; a2 += aps; a3 += aps; a4 += aps; a5 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0);
  v128.store(c + 1 * ldc, c10, 0);
  v128.store(c + 2 * ldc, c20, 0);
  v128.store(c + 3 * ldc, c30, 0);
  v128.store(c + 4 * ldc, c40, 0);
  v128.store(c + 5 * ldc, c50, 0);
}

/** C(4, 4) = init + A(4, K)·B(K, 4), with 4 accumulators held in registers; init row r at init + r·initStride. */
export function tile4x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0);
  let c10 = v128.load(init + 1 * initStride, 0);
  let c20 = v128.load(init + 2 * initStride, 0);
  let c30 = v128.load(init + 3 * initStride, 0);
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  let a2 = a + 2 * ars;
  let a3 = a + 3 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10);
    const x2 = v128.load32_splat(a2); c20 = madd(x2, b0, c20);
    const x3 = v128.load32_splat(a3); c30 = madd(x3, b0, c30);
    a0 += aps; a1 += aps; a2 += aps; a3 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0);
  v128.store(c + 1 * ldc, c10, 0);
  v128.store(c + 2 * ldc, c20, 0);
  v128.store(c + 3 * ldc, c30, 0);
}

/** C(2, 4) = init + A(2, K)·B(K, 4), with 2 accumulators held in registers; init row r at init + r·initStride. */
export function tile2x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0);
  let c10 = v128.load(init + 1 * initStride, 0);
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10);
    a0 += aps; a1 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0);
  v128.store(c + 1 * ldc, c10, 0);
}

/** C(1, 4) = init + A(1, K)·B(K, 4), with 1 accumulators held in registers; init row r at init + r·initStride. */
export function tile1x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, init: usize, initStride: usize): void {
  let c00 = v128.load(init + 0 * initStride, 0);
  let a0 = a + 0 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00);
    a0 += aps; b += ldb;
  }
  v128.store(c + 0 * ldc, c00, 0);
}
