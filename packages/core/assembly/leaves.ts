// A worker's weight gradients as leaves of the reduction tree, all its shards in one call:
// gemmTNTree (step.ts) does one shard at a time, which for shards of a few rows spends its time
// entering tiles rather than multiplying. Same sums, same order, same bits.
import { madd1 } from './madd';
import { groups1x4, groups1x8, groups2x4, groups2x8, groups3x4, groups3x8 } from './leaf-tiles';

/**
 * The plan (i32 words at `plan`): nGroups, nSlots, then per group its rows: (rowsL, rowsR) — a pair
 * of sibling leaves, whose first tree level (left + right) is added in registers — or (rows, −1) — a
 * lone leaf; the groups' rows follow each other in y and dv. Then per group: dst, count, adds[count]
 * (slot numbers): the group's value becomes, for each pending slot in `adds` (innermost first),
 * s = pending + s, stored in slot dst. Then nPub, pub[nPub]: the slots the worker publishes. Only
 * those reach memory: a tile's pending levels live in `slots`, nSlots tiles of scratch in L1.
 *
 * dW0 / db0: this layer's W and b blocks in slot 0; slot s at + s·slotStride bytes. y: (rows, k),
 * dv: (rows, n). pack: rows·32 bytes of scratch; buf: nGroups·BLOCK·32 bytes; slots: nSlots·BLOCK·32 bytes.
 */
export function gemmTNLeaves(dW0: usize, db0: usize, slotStride: usize, y: usize, dv: usize, k: i32, n: i32, plan: usize, pack: usize, buf: usize, slots: usize): void {
  const nGroups = load<i32>(plan);
  const groups = plan + 8;
  let total = 0;
  for (let g = 0; g < nGroups; g++) total += load<i32>(groups + (<usize>g << 3)) + max(0, load<i32>(groups + (<usize>g << 3), 4));
  const ops = groups + (<usize>nGroups << 3);
  let pubAt = ops;
  for (let g = 0; g < nGroups; g++) pubAt += 8 + (<usize>load<i32>(pubAt + 4) << 2);
  const ldc = <usize>n << 2;
  const aps = <usize>k << 2;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const off = <usize>j << 2;
    // the strip of dv, all rows, contiguous (see panel in index.ts)
    for (let p = 0; p < total; p++) {
      const src = dv + <usize>p * ldc + off;
      const dst = pack + (<usize>p << 5);
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
    }
    strip(buf, slots, pubAt, dW0 + off, ldc, slotStride, y, aps, pack, 32, k, 2, groups, ops, nGroups);
  }
  if (j + 4 <= n) {
    const off = <usize>j << 2;
    strip(buf, slots, pubAt, dW0 + off, ldc, slotStride, y, aps, dv + off, ldc, k, 1, groups, ops, nGroups);
    j += 4;
  }
  // single tail columns: a fused multiply-add chain per leaf and element, like the tiles
  for (; j < n; j++) {
    const off = <usize>j << 2;
    for (let i = 0; i < k; i++) {
      let op = ops;
      let row = 0;
      for (let g = 0; g < nGroups; g++) {
        const KL = load<i32>(groups + (<usize>g << 3));
        const KR = load<i32>(groups + (<usize>g << 3), 4);
        let x: f32 = 0;
        for (let p = row; p < row + KL; p++) x = madd1(load<f32>(y + ((<usize>p * k + i) << 2)), load<f32>(dv + <usize>p * ldc + off), x);
        row += KL;
        if (KR >= 0) {
          let r: f32 = 0;
          for (let p = row; p < row + KR; p++) r = madd1(load<f32>(y + ((<usize>p * k + i) << 2)), load<f32>(dv + <usize>p * ldc + off), r);
          row += KR;
          x = x + r;
        }
        op = chain1(x, dW0 + <usize>i * ldc + off, slotStride, op);
      }
    }
  }
  // the bias gradient: each leaf's column sums (plain adds over its rows, from zero), pairs added, then the chain
  let op = ops;
  let row = 0;
  for (let g = 0; g < nGroups; g++) {
    const KL = load<i32>(groups + (<usize>g << 3));
    const KR = load<i32>(groups + (<usize>g << 3), 4);
    const dst = <usize>load<i32>(op);
    const count = load<i32>(op + 4);
    let jj = 0;
    for (; jj + 4 <= n; jj += 4) {
      const off = <usize>jj << 2;
      let x = f32x4.splat(0);
      for (let p = row; p < row + KL; p++) x = f32x4.add(x, v128.load(dv + <usize>p * ldc + off));
      if (KR >= 0) {
        let r = f32x4.splat(0);
        for (let p = row + KL; p < row + KL + KR; p++) r = f32x4.add(r, v128.load(dv + <usize>p * ldc + off));
        x = f32x4.add(x, r);
      }
      for (let c = 0; c < count; c++) x = f32x4.add(v128.load(db0 + <usize>load<i32>(op + 8 + (<usize>c << 2)) * slotStride + off), x);
      v128.store(db0 + dst * slotStride + off, x);
    }
    for (; jj < n; jj++) {
      const off = <usize>jj << 2;
      let x: f32 = 0;
      for (let p = row; p < row + KL; p++) x += load<f32>(dv + <usize>p * ldc + off);
      if (KR >= 0) {
        let r: f32 = 0;
        for (let p = row + KL; p < row + KL + KR; p++) r += load<f32>(dv + <usize>p * ldc + off);
        x = x + r;
      }
      for (let c = 0; c < count; c++) x = load<f32>(db0 + <usize>load<i32>(op + 8 + (<usize>c << 2)) * slotStride + off) + x;
      store<f32>(db0 + dst * slotStride + off, x);
    }
    row += KL + max(0, KR);
    op += 8 + (<usize>count << 2);
  }
}

/** Rows of dW whose groups' tiles are reduced together: BLOCK·32 bytes a group (L1: 8 groups · 3 KB). */
const BLOCK: i32 = 24;

/**
 * One strip of 8 (vectors = 2) or 4 (vectors = 1) columns of dW, over all k rows: blocks of BLOCK
 * rows, each computed for every group in tiles of 3 (then 2, 1) rows, then reduced by treePass.
 */
function strip(buf: usize, slots: usize, pubAt: usize, c0: usize, ldc: usize, slotStride: usize, y: usize, aps: usize, b: usize, ldb: usize, k: i32, vectors: i32, groups: usize, ops: usize, nGroups: i32): void {
  const gstride = <usize>BLOCK << 5;
  for (let i0 = 0; i0 < k; i0 += BLOCK) {
    const rows = min(BLOCK, k - i0);
    let i = 0;
    for (; i + 3 <= rows; i += 3) {
      const a = y + (<usize>(i0 + i) << 2);
      if (vectors == 2) groups3x8(buf + (<usize>i << 5), gstride, a, aps, b, ldb, groups, nGroups);
      else groups3x4(buf + (<usize>i << 5), gstride, a, aps, b, ldb, groups, nGroups);
    }
    if (i + 2 <= rows) {
      const a = y + (<usize>(i0 + i) << 2);
      if (vectors == 2) groups2x8(buf + (<usize>i << 5), gstride, a, aps, b, ldb, groups, nGroups);
      else groups2x4(buf + (<usize>i << 5), gstride, a, aps, b, ldb, groups, nGroups);
      i += 2;
    }
    if (i < rows) {
      const a = y + (<usize>(i0 + i) << 2);
      if (vectors == 2) groups1x8(buf + (<usize>i << 5), gstride, a, aps, b, ldb, groups, nGroups);
      else groups1x4(buf + (<usize>i << 5), gstride, a, aps, b, ldb, groups, nGroups);
    }
    treePass(buf, slots, pubAt, c0 + <usize>i0 * ldc, ldc, slotStride, rows, vectors, ops, nGroups);
  }
}

/**
 * One block's tree: for each group, its block of R rows × (4·vectors) columns from buf (group g at
 * g·BLOCK·32, row r at r·32) with each pending level added (innermost first) goes to its dst slot's
 * block — all in the L1 scratch `slots`; then each published slot's block is stored at its place in
 * memory (c0 + slot·slotStride, row r at r·ldc).
 */
function treePass(buf: usize, slots: usize, pubAt: usize, c0: usize, ldc: usize, slotStride: usize, R: i32, vectors: i32, ops: usize, nGroups: i32): void {
  const gstride = <usize>BLOCK << 5;
  const cells = R * 2; // a row is 32 bytes (two f32x4), the second unused for 4-wide strips
  let op = ops;
  for (let s = 0; s < nGroups; s++) {
    const dst = slots + <usize>load<i32>(op) * gstride;
    const count = load<i32>(op + 4);
    const adds = op + 8;
    const from = buf + <usize>s * gstride;
    if (count == 0) {
      memory.copy(dst, from, <usize>cells << 4);
    } else if (count == 1) {
      const p0 = slots + <usize>load<i32>(adds) * gstride;
      for (let e = 0; e < cells; e++) {
        const o = <usize>e << 4;
        v128.store(dst + o, f32x4.add(v128.load(p0 + o), v128.load(from + o)));
      }
    } else if (count == 2) {
      const p0 = slots + <usize>load<i32>(adds) * gstride;
      const p1 = slots + <usize>load<i32>(adds, 4) * gstride;
      for (let e = 0; e < cells; e++) {
        const o = <usize>e << 4;
        v128.store(dst + o, f32x4.add(v128.load(p1 + o), f32x4.add(v128.load(p0 + o), v128.load(from + o))));
      }
    } else {
      for (let e = 0; e < cells; e++) {
        const o = <usize>e << 4;
        let x = v128.load(from + o);
        for (let c = 0; c < count; c++) x = f32x4.add(v128.load(slots + <usize>load<i32>(adds + (<usize>c << 2)) * gstride + o), x);
        v128.store(dst + o, x);
      }
    }
    op = adds + (<usize>count << 2);
  }
  const nPub = load<i32>(pubAt);
  for (let q = 0; q < nPub; q++) {
    const slot = <usize>load<i32>(pubAt + 4 + (<usize>q << 2));
    const from = slots + slot * gstride;
    const to = c0 + slot * slotStride;
    for (let r = 0; r < R; r++) {
      v128.store(to + <usize>r * ldc, v128.load(from + (<usize>r << 5)));
      if (vectors == 2) v128.store(to + <usize>r * ldc, v128.load(from + (<usize>r << 5), 16), 16);
    }
  }
}

/** One scalar leaf value through its chain into its dst slot at c0; returns the next op. */
function chain1(acc: f32, c0: usize, slotStride: usize, op: usize): usize {
  const count = load<i32>(op + 4);
  let x = acc;
  for (let c = 0; c < count; c++) x = load<f32>(c0 + <usize>load<i32>(op + 8 + (<usize>c << 2)) * slotStride) + x;
  store<f32>(c0 + <usize>load<i32>(op) * slotStride, x);
  return op + 8 + (<usize>count << 2);
}
