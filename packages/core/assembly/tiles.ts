// The register tiles of index.ts, unrolled: tileRxN computes an R-row, N-column block of C over
// one K block. All are one pattern written out for R ∈ {6, 4, 2, 1} and N ∈ {8, 4}. The 6×8 tile
// is the workhorse: 12 f32x4 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 xmm registers
// V8 allocates, the most that fits without spilling. The 4- and 2-row tiles finish the rows left
// over (a virtual shard is often 16 or 4 rows), where a 1-row tile would leave the multiply-add
// units waiting on a 2-long dependency chain. (Unrolling K by two was tried: V8 then spilled 7 of
// the 12 accumulators, 1.5× slower.)
import { madd, MODE_ACCUMULATE, MODE_BIAS, put } from './madd';

/** C(6, 8) = init + A(6, K)·B(K, 8), with 12 accumulators held in registers. */
export function tile6x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128, c40: v128, c41: v128, c50: v128, c51: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0); c01 = v128.load(c + 0 * ldc, 16);
    c10 = v128.load(c + 1 * ldc, 0); c11 = v128.load(c + 1 * ldc, 16);
    c20 = v128.load(c + 2 * ldc, 0); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc, 0); c31 = v128.load(c + 3 * ldc, 16);
    c40 = v128.load(c + 4 * ldc, 0); c41 = v128.load(c + 4 * ldc, 16);
    c50 = v128.load(c + 5 * ldc, 0); c51 = v128.load(c + 5 * ldc, 16);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0); c01 = v128.load(bias, 16);
    c10 = c00; c11 = c01;
    c20 = c00; c21 = c01;
    c30 = c00; c31 = c01;
    c40 = c00; c41 = c01;
    c50 = c00; c51 = c01;
  } else {
    c00 = f32x4.splat(0); c01 = f32x4.splat(0);
    c10 = f32x4.splat(0); c11 = f32x4.splat(0);
    c20 = f32x4.splat(0); c21 = f32x4.splat(0);
    c30 = f32x4.splat(0); c31 = f32x4.splat(0);
    c40 = f32x4.splat(0); c41 = f32x4.splat(0);
    c50 = f32x4.splat(0); c51 = f32x4.splat(0);
  }
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
  put(c + 0 * ldc + 0, c00, mode); put(c + 0 * ldc + 16, c01, mode);
  put(c + 1 * ldc + 0, c10, mode); put(c + 1 * ldc + 16, c11, mode);
  put(c + 2 * ldc + 0, c20, mode); put(c + 2 * ldc + 16, c21, mode);
  put(c + 3 * ldc + 0, c30, mode); put(c + 3 * ldc + 16, c31, mode);
  put(c + 4 * ldc + 0, c40, mode); put(c + 4 * ldc + 16, c41, mode);
  put(c + 5 * ldc + 0, c50, mode); put(c + 5 * ldc + 16, c51, mode);
}

/** C(4, 8) = init + A(4, K)·B(K, 8), with 8 accumulators held in registers. */
export function tile4x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0); c01 = v128.load(c + 0 * ldc, 16);
    c10 = v128.load(c + 1 * ldc, 0); c11 = v128.load(c + 1 * ldc, 16);
    c20 = v128.load(c + 2 * ldc, 0); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc, 0); c31 = v128.load(c + 3 * ldc, 16);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0); c01 = v128.load(bias, 16);
    c10 = c00; c11 = c01;
    c20 = c00; c21 = c01;
    c30 = c00; c31 = c01;
  } else {
    c00 = f32x4.splat(0); c01 = f32x4.splat(0);
    c10 = f32x4.splat(0); c11 = f32x4.splat(0);
    c20 = f32x4.splat(0); c21 = f32x4.splat(0);
    c30 = f32x4.splat(0); c31 = f32x4.splat(0);
  }
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
  put(c + 0 * ldc + 0, c00, mode); put(c + 0 * ldc + 16, c01, mode);
  put(c + 1 * ldc + 0, c10, mode); put(c + 1 * ldc + 16, c11, mode);
  put(c + 2 * ldc + 0, c20, mode); put(c + 2 * ldc + 16, c21, mode);
  put(c + 3 * ldc + 0, c30, mode); put(c + 3 * ldc + 16, c31, mode);
}

/** C(2, 8) = init + A(2, K)·B(K, 8), with 4 accumulators held in registers. */
export function tile2x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0); c01 = v128.load(c + 0 * ldc, 16);
    c10 = v128.load(c + 1 * ldc, 0); c11 = v128.load(c + 1 * ldc, 16);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0); c01 = v128.load(bias, 16);
    c10 = c00; c11 = c01;
  } else {
    c00 = f32x4.splat(0); c01 = f32x4.splat(0);
    c10 = f32x4.splat(0); c11 = f32x4.splat(0);
  }
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
    a0 += aps; a1 += aps; b += ldb;
  }
  put(c + 0 * ldc + 0, c00, mode); put(c + 0 * ldc + 16, c01, mode);
  put(c + 1 * ldc + 0, c10, mode); put(c + 1 * ldc + 16, c11, mode);
}

/** C(1, 8) = init + A(1, K)·B(K, 8), with 2 accumulators held in registers. */
export function tile1x8(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c01: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0); c01 = v128.load(c + 0 * ldc, 16);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0); c01 = v128.load(bias, 16);
  } else {
    c00 = f32x4.splat(0); c01 = f32x4.splat(0);
  }
  let a0 = a + 0 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
    a0 += aps; b += ldb;
  }
  put(c + 0 * ldc + 0, c00, mode); put(c + 0 * ldc + 16, c01, mode);
}

/** C(6, 4) = init + A(6, K)·B(K, 4), with 6 accumulators held in registers. */
export function tile6x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c10: v128, c20: v128, c30: v128, c40: v128, c50: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0);
    c10 = v128.load(c + 1 * ldc, 0);
    c20 = v128.load(c + 2 * ldc, 0);
    c30 = v128.load(c + 3 * ldc, 0);
    c40 = v128.load(c + 4 * ldc, 0);
    c50 = v128.load(c + 5 * ldc, 0);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0);
    c10 = c00;
    c20 = c00;
    c30 = c00;
    c40 = c00;
    c50 = c00;
  } else {
    c00 = f32x4.splat(0);
    c10 = f32x4.splat(0);
    c20 = f32x4.splat(0);
    c30 = f32x4.splat(0);
    c40 = f32x4.splat(0);
    c50 = f32x4.splat(0);
  }
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
  put(c + 0 * ldc + 0, c00, mode);
  put(c + 1 * ldc + 0, c10, mode);
  put(c + 2 * ldc + 0, c20, mode);
  put(c + 3 * ldc + 0, c30, mode);
  put(c + 4 * ldc + 0, c40, mode);
  put(c + 5 * ldc + 0, c50, mode);
}

/** C(4, 4) = init + A(4, K)·B(K, 4), with 4 accumulators held in registers. */
export function tile4x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c10: v128, c20: v128, c30: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0);
    c10 = v128.load(c + 1 * ldc, 0);
    c20 = v128.load(c + 2 * ldc, 0);
    c30 = v128.load(c + 3 * ldc, 0);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0);
    c10 = c00;
    c20 = c00;
    c30 = c00;
  } else {
    c00 = f32x4.splat(0);
    c10 = f32x4.splat(0);
    c20 = f32x4.splat(0);
    c30 = f32x4.splat(0);
  }
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
  put(c + 0 * ldc + 0, c00, mode);
  put(c + 1 * ldc + 0, c10, mode);
  put(c + 2 * ldc + 0, c20, mode);
  put(c + 3 * ldc + 0, c30, mode);
}

/** C(2, 4) = init + A(2, K)·B(K, 4), with 2 accumulators held in registers. */
export function tile2x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128, c10: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0);
    c10 = v128.load(c + 1 * ldc, 0);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0);
    c10 = c00;
  } else {
    c00 = f32x4.splat(0);
    c10 = f32x4.splat(0);
  }
  let a0 = a + 0 * ars;
  let a1 = a + 1 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00);
    const x1 = v128.load32_splat(a1); c10 = madd(x1, b0, c10);
    a0 += aps; a1 += aps; b += ldb;
  }
  put(c + 0 * ldc + 0, c00, mode);
  put(c + 1 * ldc + 0, c10, mode);
}

/** C(1, 4) = init + A(1, K)·B(K, 4), with 1 accumulators held in registers. */
export function tile1x4(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let c00: v128;
  if (mode == MODE_ACCUMULATE) {
    c00 = v128.load(c + 0 * ldc, 0);
  } else if (mode == MODE_BIAS) {
    c00 = v128.load(bias, 0);
  } else {
    c00 = f32x4.splat(0);
  }
  let a0 = a + 0 * ars;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(b, 0);
    const x0 = v128.load32_splat(a0); c00 = madd(x0, b0, c00);
    a0 += aps; b += ldb;
  }
  put(c + 0 * ldc + 0, c00, mode);
}
