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
 * dv: (rows, n). pack: rows·32 bytes of scratch; buf: nGroups·192 bytes; slots: nSlots·192 bytes.
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
    let i = 0;
    for (; i + 3 <= k; i += 3) {
      groups3x8(buf, y + (<usize>i << 2), aps, pack, 32, groups, nGroups);
      treePass(buf, slots, pubAt, dW0 + <usize>i * ldc + off, ldc, slotStride, 3, 2, ops, nGroups);
    }
    if (i + 2 <= k) {
      groups2x8(buf, y + (<usize>i << 2), aps, pack, 32, groups, nGroups);
      treePass(buf, slots, pubAt, dW0 + <usize>i * ldc + off, ldc, slotStride, 2, 2, ops, nGroups);
      i += 2;
    }
    if (i < k) {
      groups1x8(buf, y + (<usize>i << 2), aps, pack, 32, groups, nGroups);
      treePass(buf, slots, pubAt, dW0 + <usize>i * ldc + off, ldc, slotStride, 1, 2, ops, nGroups);
    }
  }
  if (j + 4 <= n) {
    const off = <usize>j << 2;
    let i = 0;
    for (; i + 3 <= k; i += 3) {
      groups3x4(buf, y + (<usize>i << 2), aps, dv + off, ldc, groups, nGroups);
      treePass(buf, slots, pubAt, dW0 + <usize>i * ldc + off, ldc, slotStride, 3, 1, ops, nGroups);
    }
    if (i + 2 <= k) {
      groups2x4(buf, y + (<usize>i << 2), aps, dv + off, ldc, groups, nGroups);
      treePass(buf, slots, pubAt, dW0 + <usize>i * ldc + off, ldc, slotStride, 2, 1, ops, nGroups);
      i += 2;
    }
    if (i < k) {
      groups1x4(buf, y + (<usize>i << 2), aps, dv + off, ldc, groups, nGroups);
      treePass(buf, slots, pubAt, dW0 + <usize>i * ldc + off, ldc, slotStride, 1, 1, ops, nGroups);
    }
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

/**
 * One tile's tree: for each group, its R×(4·vectors) tile from buf with each pending level added
 * (innermost first) goes to its dst slot tile — all in the L1 scratch `slots`; then each published
 * slot's tile is stored at its place in memory (c0 + slot·slotStride).
 */
function treePass(buf: usize, slots: usize, pubAt: usize, c0: usize, ldc: usize, slotStride: usize, R: i32, vectors: i32, ops: usize, nGroups: i32): void {
  let op = ops;
  const cells = R * 2; // f32x4 cells of a tile row pair layout: row r, vector v at (r·2 + v)·16
  for (let s = 0; s < nGroups; s++) {
    const dst = slots + <usize>load<i32>(op) * 192;
    const count = load<i32>(op + 4);
    const adds = op + 8;
    const from = buf + <usize>s * 192;
    if (count == 0) {
      for (let e = 0; e < cells; e++) v128.store(dst + (<usize>e << 4), v128.load(from + (<usize>e << 4)));
    } else if (count == 1) {
      const p0 = slots + <usize>load<i32>(adds) * 192;
      for (let e = 0; e < cells; e++) {
        const o = <usize>e << 4;
        v128.store(dst + o, f32x4.add(v128.load(p0 + o), v128.load(from + o)));
      }
    } else if (count == 2) {
      const p0 = slots + <usize>load<i32>(adds) * 192;
      const p1 = slots + <usize>load<i32>(adds, 4) * 192;
      for (let e = 0; e < cells; e++) {
        const o = <usize>e << 4;
        v128.store(dst + o, f32x4.add(v128.load(p1 + o), f32x4.add(v128.load(p0 + o), v128.load(from + o))));
      }
    } else {
      for (let e = 0; e < cells; e++) {
        const o = <usize>e << 4;
        let x = v128.load(from + o);
        for (let c = 0; c < count; c++) x = f32x4.add(v128.load(slots + <usize>load<i32>(adds + (<usize>c << 2)) * 192 + o), x);
        v128.store(dst + o, x);
      }
    }
    op = adds + (<usize>count << 2);
  }
  const nPub = load<i32>(pubAt);
  for (let q = 0; q < nPub; q++) {
    const slot = <usize>load<i32>(pubAt + 4 + (<usize>q << 2));
    const from = slots + slot * 192;
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
