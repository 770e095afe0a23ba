// The group tiles of gemmTNLeaves (leaves.ts), unrolled like tiles.ts: one R×N tile of a weight
// gradient for every group of a worker's leaves in one call, the shards' rows one after the other.
// A group is one leaf, or two sibling leaves whose node is added in registers — the tree's first
// level, which halves what the tree pass moves. 3 rows × 8 columns × 2 leaves = 12 accumulators.
// A is yᵀ, so a tile's R rows are adjacent floats of one row of y: one pointer, constant offsets.
import { madd } from './madd';

/** One 3×8 tile of dW for every group of a worker: a leaf, or a pair of sibling leaves added in registers (fl(left + right)), each from zero over its rows; group g at buf + g·192 (row r at r·32). */
export function groups3x8(buf: usize, a: usize, aps: usize, b: usize, ldb: usize, groups: usize, nGroups: i32): void {
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    let l00 = f32x4.splat(0);
    let l01 = f32x4.splat(0);
    let l10 = f32x4.splat(0);
    let l11 = f32x4.splat(0);
    let l20 = f32x4.splat(0);
    let l21 = f32x4.splat(0);
    for (let p = 0; p < KL; p++) {
      const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
      const x0 = v128.load32_splat(a, 0); l00 = madd(x0, b0, l00); l01 = madd(x0, b1, l01);
      const x1 = v128.load32_splat(a, 4); l10 = madd(x1, b0, l10); l11 = madd(x1, b1, l11);
      const x2 = v128.load32_splat(a, 8); l20 = madd(x2, b0, l20); l21 = madd(x2, b1, l21);
      a += aps;
      b += ldb;
    }
    if (KR >= 0) {
      let r00 = f32x4.splat(0);
      let r01 = f32x4.splat(0);
      let r10 = f32x4.splat(0);
      let r11 = f32x4.splat(0);
      let r20 = f32x4.splat(0);
      let r21 = f32x4.splat(0);
      for (let p = 0; p < KR; p++) {
        const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
        const x0 = v128.load32_splat(a, 0); r00 = madd(x0, b0, r00); r01 = madd(x0, b1, r01);
        const x1 = v128.load32_splat(a, 4); r10 = madd(x1, b0, r10); r11 = madd(x1, b1, r11);
        const x2 = v128.load32_splat(a, 8); r20 = madd(x2, b0, r20); r21 = madd(x2, b1, r21);
        a += aps;
        b += ldb;
      }
      v128.store(buf, f32x4.add(l00, r00), 0);
      v128.store(buf, f32x4.add(l01, r01), 16);
      v128.store(buf, f32x4.add(l10, r10), 32);
      v128.store(buf, f32x4.add(l11, r11), 48);
      v128.store(buf, f32x4.add(l20, r20), 64);
      v128.store(buf, f32x4.add(l21, r21), 80);
    } else {
      v128.store(buf, l00, 0);
      v128.store(buf, l01, 16);
      v128.store(buf, l10, 32);
      v128.store(buf, l11, 48);
      v128.store(buf, l20, 64);
      v128.store(buf, l21, 80);
    }
    buf += 192;
  }
}

/** One 2×8 tile of dW for every group of a worker: a leaf, or a pair of sibling leaves added in registers (fl(left + right)), each from zero over its rows; group g at buf + g·192 (row r at r·32). */
export function groups2x8(buf: usize, a: usize, aps: usize, b: usize, ldb: usize, groups: usize, nGroups: i32): void {
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    let l00 = f32x4.splat(0);
    let l01 = f32x4.splat(0);
    let l10 = f32x4.splat(0);
    let l11 = f32x4.splat(0);
    for (let p = 0; p < KL; p++) {
      const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
      const x0 = v128.load32_splat(a, 0); l00 = madd(x0, b0, l00); l01 = madd(x0, b1, l01);
      const x1 = v128.load32_splat(a, 4); l10 = madd(x1, b0, l10); l11 = madd(x1, b1, l11);
      a += aps;
      b += ldb;
    }
    if (KR >= 0) {
      let r00 = f32x4.splat(0);
      let r01 = f32x4.splat(0);
      let r10 = f32x4.splat(0);
      let r11 = f32x4.splat(0);
      for (let p = 0; p < KR; p++) {
        const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
        const x0 = v128.load32_splat(a, 0); r00 = madd(x0, b0, r00); r01 = madd(x0, b1, r01);
        const x1 = v128.load32_splat(a, 4); r10 = madd(x1, b0, r10); r11 = madd(x1, b1, r11);
        a += aps;
        b += ldb;
      }
      v128.store(buf, f32x4.add(l00, r00), 0);
      v128.store(buf, f32x4.add(l01, r01), 16);
      v128.store(buf, f32x4.add(l10, r10), 32);
      v128.store(buf, f32x4.add(l11, r11), 48);
    } else {
      v128.store(buf, l00, 0);
      v128.store(buf, l01, 16);
      v128.store(buf, l10, 32);
      v128.store(buf, l11, 48);
    }
    buf += 192;
  }
}

/** One 1×8 tile of dW for every group of a worker: a leaf, or a pair of sibling leaves added in registers (fl(left + right)), each from zero over its rows; group g at buf + g·192 (row r at r·32). */
export function groups1x8(buf: usize, a: usize, aps: usize, b: usize, ldb: usize, groups: usize, nGroups: i32): void {
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    let l00 = f32x4.splat(0);
    let l01 = f32x4.splat(0);
    for (let p = 0; p < KL; p++) {
      const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
      const x0 = v128.load32_splat(a, 0); l00 = madd(x0, b0, l00); l01 = madd(x0, b1, l01);
      a += aps;
      b += ldb;
    }
    if (KR >= 0) {
      let r00 = f32x4.splat(0);
      let r01 = f32x4.splat(0);
      for (let p = 0; p < KR; p++) {
        const b0 = v128.load(b, 0); const b1 = v128.load(b, 16);
        const x0 = v128.load32_splat(a, 0); r00 = madd(x0, b0, r00); r01 = madd(x0, b1, r01);
        a += aps;
        b += ldb;
      }
      v128.store(buf, f32x4.add(l00, r00), 0);
      v128.store(buf, f32x4.add(l01, r01), 16);
    } else {
      v128.store(buf, l00, 0);
      v128.store(buf, l01, 16);
    }
    buf += 192;
  }
}

/** One 3×4 tile of dW for every group of a worker: a leaf, or a pair of sibling leaves added in registers (fl(left + right)), each from zero over its rows; group g at buf + g·192 (row r at r·32). */
export function groups3x4(buf: usize, a: usize, aps: usize, b: usize, ldb: usize, groups: usize, nGroups: i32): void {
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    let l00 = f32x4.splat(0);
    let l10 = f32x4.splat(0);
    let l20 = f32x4.splat(0);
    for (let p = 0; p < KL; p++) {
      const b0 = v128.load(b, 0);
      const x0 = v128.load32_splat(a, 0); l00 = madd(x0, b0, l00);
      const x1 = v128.load32_splat(a, 4); l10 = madd(x1, b0, l10);
      const x2 = v128.load32_splat(a, 8); l20 = madd(x2, b0, l20);
      a += aps;
      b += ldb;
    }
    if (KR >= 0) {
      let r00 = f32x4.splat(0);
      let r10 = f32x4.splat(0);
      let r20 = f32x4.splat(0);
      for (let p = 0; p < KR; p++) {
        const b0 = v128.load(b, 0);
        const x0 = v128.load32_splat(a, 0); r00 = madd(x0, b0, r00);
        const x1 = v128.load32_splat(a, 4); r10 = madd(x1, b0, r10);
        const x2 = v128.load32_splat(a, 8); r20 = madd(x2, b0, r20);
        a += aps;
        b += ldb;
      }
      v128.store(buf, f32x4.add(l00, r00), 0);
      v128.store(buf, f32x4.add(l10, r10), 32);
      v128.store(buf, f32x4.add(l20, r20), 64);
    } else {
      v128.store(buf, l00, 0);
      v128.store(buf, l10, 32);
      v128.store(buf, l20, 64);
    }
    buf += 192;
  }
}

/** One 2×4 tile of dW for every group of a worker: a leaf, or a pair of sibling leaves added in registers (fl(left + right)), each from zero over its rows; group g at buf + g·192 (row r at r·32). */
export function groups2x4(buf: usize, a: usize, aps: usize, b: usize, ldb: usize, groups: usize, nGroups: i32): void {
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    let l00 = f32x4.splat(0);
    let l10 = f32x4.splat(0);
    for (let p = 0; p < KL; p++) {
      const b0 = v128.load(b, 0);
      const x0 = v128.load32_splat(a, 0); l00 = madd(x0, b0, l00);
      const x1 = v128.load32_splat(a, 4); l10 = madd(x1, b0, l10);
      a += aps;
      b += ldb;
    }
    if (KR >= 0) {
      let r00 = f32x4.splat(0);
      let r10 = f32x4.splat(0);
      for (let p = 0; p < KR; p++) {
        const b0 = v128.load(b, 0);
        const x0 = v128.load32_splat(a, 0); r00 = madd(x0, b0, r00);
        const x1 = v128.load32_splat(a, 4); r10 = madd(x1, b0, r10);
        a += aps;
        b += ldb;
      }
      v128.store(buf, f32x4.add(l00, r00), 0);
      v128.store(buf, f32x4.add(l10, r10), 32);
    } else {
      v128.store(buf, l00, 0);
      v128.store(buf, l10, 32);
    }
    buf += 192;
  }
}

/** One 1×4 tile of dW for every group of a worker: a leaf, or a pair of sibling leaves added in registers (fl(left + right)), each from zero over its rows; group g at buf + g·192 (row r at r·32). */
export function groups1x4(buf: usize, a: usize, aps: usize, b: usize, ldb: usize, groups: usize, nGroups: i32): void {
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    let l00 = f32x4.splat(0);
    for (let p = 0; p < KL; p++) {
      const b0 = v128.load(b, 0);
      const x0 = v128.load32_splat(a, 0); l00 = madd(x0, b0, l00);
      a += aps;
      b += ldb;
    }
    if (KR >= 0) {
      let r00 = f32x4.splat(0);
      for (let p = 0; p < KR; p++) {
        const b0 = v128.load(b, 0);
        const x0 = v128.load32_splat(a, 0); r00 = madd(x0, b0, r00);
        a += aps;
        b += ldb;
      }
      v128.store(buf, f32x4.add(l00, r00), 0);
    } else {
      v128.store(buf, l00, 0);
    }
    buf += 192;
  }
}
