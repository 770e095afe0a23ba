// The engine's step kernels: a leaf of the canonical reduction tree stored straight into its
// pending tree levels and the in-place adds at the top of the tree (the pass per parameter slice
// that finishes the tree and applies the optimizer is in optimizers.ts).
// The JavaScript oracle of each is in src/kernels/reference.ts; docs/design.md draws the tree.
import { gemm } from './products';
import { MODE_TREE, treeCount, treeDeltas } from './madd';

/**
 * dW(k, n) = chain(y(m, k)ᵀ·dv(m, n)) and db(n) = chain(Σ_i dv(i, ·)): one shard's weight and bias
 * gradient, each element summed from zero over the rows in order (fused multiply-adds), then, for
 * each of the `count` pending buffers at byte offsets deltas[0..count) from dW/db (innermost first),
 * s = pending + s. With count = 0 it is a plain write: the first rows of a shard never zero then add.
 */
export function gemmTNTree(dW: usize, db: usize, y: usize, dv: usize, m: i32, k: i32, n: i32, deltas: usize, count: i32): void {
  treeDeltas = deltas;
  treeCount = count;
  gemm(dW, <usize>n << 2, y, 4, <usize>k << 2, dv, <usize>n << 2, k, n, m, MODE_TREE, 0);
  colsumTree(db, dv, m, n, deltas, count);
  treeCount = 0;
}

/** db(n) = chain(Σ_i dv(i, ·)): plain adds over the rows in order, from zero, four columns at a time. */
function colsumTree(db: usize, dv: usize, m: i32, n: i32, deltas: usize, count: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    let s = f32x4.splat(0);
    for (let i = 0; i < m; i++) s = f32x4.add(s, v128.load(dv + ((<usize>i * n) << 2) + off));
    for (let c = 0; c < count; c++) s = f32x4.add(v128.load(db + off + <usize>load<i32>(deltas + (<usize>c << 2))), s);
    v128.store(db + off, s);
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    let s: f32 = 0;
    for (let i = 0; i < m; i++) s += load<f32>(dv + ((<usize>i * n) << 2) + off);
    for (let c = 0; c < count; c++) s = load<f32>(db + off + <usize>load<i32>(deltas + (<usize>c << 2))) + s;
    store<f32>(db + off, s);
  }
}

/** a(len) = a + b: one inner node of the tree's top, over one parameter slice. */
export function addInto(a: usize, b: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const p = <usize>i << 2;
    v128.store(a + p, f32x4.add(v128.load(a + p), v128.load(b + p)));
  }
  for (; i < len; i++) {
    const p = <usize>i << 2;
    store<f32>(a + p, load<f32>(a + p) + load<f32>(b + p));
  }
}
