// The engine's step kernels: a leaf of the canonical reduction tree stored straight into its
// pending tree levels, the in-place adds at the top of the tree, and the one pass per parameter
// slice that finishes the tree, scales by 1/B, applies the optimizer and checks finiteness.
// The JavaScript oracle of each is in src/kernels/reference.ts; docs/design.md draws the tree.
import { gemm } from './index';
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

const SGD: i32 = 0;
const MOMENTUM: i32 = 1;
const NESTEROV: i32 = 2;

/**
 * The slice pass, over `len` parameters: r = root (+ other, the tree's last add, when other ≠ 0);
 * ḡ = f32(r·inv); then the optimizer exactly as optimizers.ts computes it (float64 arithmetic,
 * float32 stores at the same points), so the bits equal the JavaScript update. `state` has
 * `slots` rows of stride `P` floats. Returns 1 when ḡ and the new θ are all finite, else 0.
 */
export function finishUpdate(
  kind: i32,
  root: usize,
  other: usize,
  avg: usize,
  theta: usize,
  state: usize,
  stride: usize,
  len: i32,
  inv: f64,
  lr: f64,
  wd: f64,
  mu: f64,
  b1: f64,
  b2: f64,
  eps: f64,
  c1: f64,
  c2: f64,
): i32 {
  let acc: f64 = 0;
  for (let i = 0; i < len; i++) {
    const p = <usize>i << 2;
    let r = load<f32>(root + p);
    if (other != 0) r = r + load<f32>(other + p);
    const g32 = <f32>(<f64>r * inv);
    store<f32>(avg + p, g32);
    const g = <f64>g32;
    const th = <f64>load<f32>(theta + p);
    let next: f64;
    if (kind == SGD) {
      next = th - lr * (g + wd * th);
    } else if (kind == MOMENTUM) {
      const u = mu * <f64>load<f32>(state + p) + g + wd * th;
      store<f32>(state + p, <f32>u);
      next = th - lr * u;
    } else if (kind == NESTEROV) {
      const gi = g + wd * th;
      const u = mu * <f64>load<f32>(state + p) + gi;
      store<f32>(state + p, <f32>u);
      next = th - lr * (gi + mu * u);
    } else {
      const gi = g + wd * th;
      const m = b1 * <f64>load<f32>(state + p) + (1 - b1) * gi;
      const s = b2 * <f64>load<f32>(state + stride + p) + (1 - b2) * gi * gi;
      store<f32>(state + p, <f32>m);
      store<f32>(state + stride + p, <f32>s);
      next = th - (lr * (m * c1)) / (Math.sqrt(s * c2) + eps);
    }
    const n32 = <f32>next;
    store<f32>(theta + p, n32);
    acc += <f64>g32 - <f64>g32 + (<f64>n32 - <f64>n32);
  }
  return acc == 0 ? 1 : 0;
}
