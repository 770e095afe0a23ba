// The products of the WebAssembly kernels (index.ts lists the module's exports). All matrices are
// row-major float32; every pointer and stride given to `gemm` is in bytes, the entry points below
// take element counts like the Kernels interface.
import { madd1, MODE_ACCUMULATE, MODE_BIAS, MODE_TREE, MODE_ZERO, put1, treeCount, treeDeltas } from './madd';
import { tile1x4, tile1x8, tile2x4, tile2x8, tile4x4, tile4x8, tile6x4, tile6x8 } from './tiles';

/** K block: a KC×8 strip of B (8 KB) and six rows of A (6 KB) stay in the 48 KB L1 across tiles */
const KC: i32 = 256;

/** The first byte of memory the module does not use: the JavaScript side places operands from here. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * C(M, N) = init + A(M, K)·B(K, N), init chosen by `mode` (zero, bias row, or C itself).
 * A(r, p) is read at a + r·ars + p·aps, so A may be stored transposed (ars = 4 bytes);
 * B and C are row-major with row strides ldb and ldc (bytes).
 */
export function gemm(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, M: i32, N: i32, K: i32, mode: i32, bias: usize): void {
  if (K == 0 || mode == MODE_TREE) {
    // a tree store needs the whole sum in registers: not blocked over K (a leaf is one shard's rows)
    panel(c, ldc, a, ars, aps, b, ldb, M, N, K, mode, bias);
    return;
  }
  // K blocks of equal size (784 = 4 × 196, not 3 × 256 + 16: a 16-deep block is mostly tile entry and exit)
  const blocks = (K + KC - 1) / KC;
  const step = (K + blocks - 1) / blocks;
  for (let p0 = 0; p0 < K; p0 += step) {
    const kc = min(step, K - p0);
    // K blocks after the first add onto what the earlier blocks left in C
    panel(c, ldc, a + <usize>p0 * aps, ars, aps, b + <usize>p0 * ldb, ldb, M, N, kc, p0 == 0 ? mode : MODE_ACCUMULATE, bias);
  }
}

/** This instance's scratch (one per thread, set by the JavaScript side): a K×8 strip of packed B, a zero row, a tile buffer. */
let packAt: usize = 0;
let zeroAt: usize = 0;
let tileAt: usize = 0;

/** Gives this instance its scratch of packBytes() bytes. */
export function setPackBuffer(p: usize): void {
  packAt = p;
  zeroAt = p + <usize>KC * 32;
  tileAt = zeroAt + 64;
  memory.fill(zeroAt, 0, 64);
}

/** Bytes of setPackBuffer's scratch: the packed strip, a 64-byte zero row, a 6×8 tile buffer. */
export function packBytes(): i32 {
  return KC * 32 + 64 + 6 * 32;
}

/**
 * One register tile of R rows (6, 4, 2 or 1) and 8 or 4 columns at C address c. The accumulators
 * start from C itself (accumulate), the bias row, or zero; in MODE_TREE the tile goes to the tile
 * buffer first and treeStoreTile adds the pending levels on the way to C.
 */
function tile(R: i32, wide: bool, c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, K: i32, mode: i32, bias: usize): void {
  let init = zeroAt;
  let initStride: usize = 0;
  if (mode == MODE_ACCUMULATE) {
    init = c;
    initStride = ldc;
  } else if (mode == MODE_BIAS) {
    init = bias;
  }
  const tree = mode == MODE_TREE;
  const dst = tree ? tileAt : c;
  const ld: usize = tree ? 32 : ldc;
  if (wide) {
    if (R == 6) tile6x8(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
    else if (R == 4) tile4x8(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
    else if (R == 2) tile2x8(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
    else tile1x8(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
  } else {
    if (R == 6) tile6x4(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
    else if (R == 4) tile4x4(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
    else if (R == 2) tile2x4(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
    else tile1x4(dst, ld, a, ars, aps, b, ldb, K, init, initStride);
  }
  if (tree) treeStoreTile(c, ldc, R, wide ? 2 : 1);
}

/** C tile (R rows, `vectors` f32x4 per row) = the tile buffer with each pending level added, innermost first. */
function treeStoreTile(c: usize, ldc: usize, R: i32, vectors: i32): void {
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < vectors; v++) {
      const p = c + <usize>r * ldc + (<usize>v << 4);
      let x = v128.load(tileAt + (<usize>r << 5) + (<usize>v << 4));
      for (let i = 0; i < treeCount; i++) x = f32x4.add(v128.load(p + <usize>load<i32>(treeDeltas + (<usize>i << 2))), x);
      v128.store(p, x);
    }
  }
}

/**
 * One K block of gemm: 8-column strips of C (B strip reused down all rows; rows in tiles of 6, then
 * 4, 2, 1), then 4, then single columns. A strip of B that many row tiles will read is first copied
 * into a contiguous K×8 buffer: read in place, its K rows lie one B row stride apart (1 KB for 256
 * columns), which maps them onto a handful of L1 sets. Packing moves data only: the sums, and so
 * the bits, are the same.
 */
function panel(c: usize, ldc: usize, a: usize, ars: usize, aps: usize, b: usize, ldb: usize, M: i32, N: i32, K: i32, mode: i32, bias: usize): void {
  let j = 0;
  const pack = packAt != 0 && M >= 12 && K <= KC && ldb != 32;
  for (; j + 8 <= N; j += 8) {
    const off = <usize>j << 2;
    let bs = b + off;
    let lb = ldb;
    if (pack) {
      for (let p = 0; p < K; p++) {
        const src = b + <usize>p * ldb + off;
        const dst = packAt + (<usize>p << 5);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      }
      bs = packAt;
      lb = 32;
    }
    let i = 0;
    for (; i + 6 <= M; i += 6) tile(6, true, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, bs, lb, K, mode, bias + off);
    if (i + 4 <= M) {
      tile(4, true, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, bs, lb, K, mode, bias + off);
      i += 4;
    }
    if (i + 2 <= M) {
      tile(2, true, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, bs, lb, K, mode, bias + off);
      i += 2;
    }
    if (i < M) tile(1, true, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, bs, lb, K, mode, bias + off);
  }
  if (j + 4 <= N) {
    const off = <usize>j << 2;
    let i = 0;
    for (; i + 6 <= M; i += 6) tile(6, false, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, b + off, ldb, K, mode, bias + off);
    if (i + 4 <= M) {
      tile(4, false, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, b + off, ldb, K, mode, bias + off);
      i += 4;
    }
    if (i + 2 <= M) {
      tile(2, false, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, b + off, ldb, K, mode, bias + off);
      i += 2;
    }
    if (i < M) tile(1, false, c + <usize>i * ldc + off, ldc, a + <usize>i * ars, ars, aps, b + off, ldb, K, mode, bias + off);
    j += 4;
  }
  for (; j < N; j++) {
    const off = <usize>j << 2;
    for (let i = 0; i < M; i++) {
      const ci = c + <usize>i * ldc + off;
      let s: f32 = mode == MODE_ACCUMULATE ? load<f32>(ci) : mode == MODE_BIAS ? load<f32>(bias + off) : 0;
      let ap = a + <usize>i * ars;
      let bp = b + off;
      for (let p = 0; p < K; p++) {
        s = madd1(load<f32>(ap), load<f32>(bp), s);
        ap += aps;
        bp += ldb;
      }
      put1(ci, s, mode);
    }
  }
}

/** dst(cols, rows) = src(rows, cols)ᵀ: 4×4 blocks transposed in registers by shuffles, edges one by one. */
export function transpose(dst: usize, src: usize, rows: i32, cols: i32): void {
  const srcRow = <usize>cols << 2; // bytes per row of src
  const dstRow = <usize>rows << 2; // bytes per row of dst
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const s0 = src + <usize>i * srcRow;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const s = s0 + (<usize>j << 2);
      const r0 = v128.load(s);
      const r1 = v128.load(s + srcRow);
      const r2 = v128.load(s + 2 * srcRow);
      const r3 = v128.load(s + 3 * srcRow);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
      const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
      const d = dst + <usize>j * dstRow + (<usize>i << 2);
      v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5)); // a0 b0 c0 d0
      v128.store(d + dstRow, i32x4.shuffle(t0, t2, 2, 3, 6, 7)); // a1 b1 c1 d1
      v128.store(d + 2 * dstRow, i32x4.shuffle(t1, t3, 0, 1, 4, 5)); // a2 b2 c2 d2
      v128.store(d + 3 * dstRow, i32x4.shuffle(t1, t3, 2, 3, 6, 7)); // a3 b3 c3 d3
    }
    for (; j < cols; j++) {
      for (let r = 0; r < 4; r++) store<f32>(dst + <usize>j * dstRow + (<usize>(i + r) << 2), load<f32>(s0 + <usize>r * srcRow + (<usize>j << 2)));
    }
  }
  for (; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(dst + <usize>j * dstRow + (<usize>i << 2), load<f32>(src + <usize>i * srcRow + (<usize>j << 2)));
  }
}

/** db(n) += Σ_i dv(i, ·): the bias gradient, four columns at a time. */
export function colsumAcc(db: usize, dv: usize, m: i32, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    let s = v128.load(db + off);
    for (let i = 0; i < m; i++) s = f32x4.add(s, v128.load(dv + ((<usize>i * n) << 2) + off));
    v128.store(db + off, s);
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    let s = load<f32>(db + off);
    for (let i = 0; i < m; i++) s += load<f32>(dv + ((<usize>i * n) << 2) + off);
    store<f32>(db + off, s);
  }
}

/** v(m, n) = y(m, k)·W(k, n) + b(n) */
export function gemmBias(v: usize, y: usize, W: usize, b: usize, m: i32, k: i32, n: i32): void {
  gemm(v, <usize>n << 2, y, <usize>k << 2, 4, W, <usize>n << 2, m, n, k, MODE_BIAS, b);
}

/** dy(m, k) = dv(m, n)·W(k, n)ᵀ, through Wᵀ written to `scratch` (n·k floats) so the tiles read rows */
export function gemmNT(dy: usize, dv: usize, W: usize, m: i32, n: i32, k: i32, scratch: usize): void {
  transpose(scratch, W, k, n);
  gemm(dy, <usize>k << 2, dv, <usize>n << 2, 4, scratch, <usize>k << 2, m, k, n, MODE_ZERO, 0);
}

/** dW(k, n) += y(m, k)ᵀ·dv(m, n) and db(n) += Σ_i dv(i, ·); yᵀ is read in place (row stride 4 bytes) */
export function gemmTNAcc(dW: usize, db: usize, y: usize, dv: usize, m: i32, k: i32, n: i32): void {
  gemm(dW, <usize>n << 2, y, 4, <usize>k << 2, dv, <usize>n << 2, k, n, m, MODE_ACCUMULATE, 0);
  colsumAcc(db, dv, m, n);
}

/** The activations the fused entry points apply (the codes the JavaScript side passes). */
const ACT_IDENTITY: i32 = 0;
const ACT_RELU: i32 = 1;

/** v(m, n) = y·W + b and out = g(v) for g = identity or ReLU (max(v, 0); 0 for v ≤ 0 or NaN, as activations.ts) */
export function denseForward(v: usize, out: usize, y: usize, W: usize, b: usize, m: i32, k: i32, n: i32, act: i32): void {
  gemmBias(v, y, W, b, m, k, n);
  const len = m * n;
  if (act == ACT_IDENTITY) {
    memory.copy(out, v, <usize>len << 2);
    return;
  }
  const zero = f32x4.splat(0);
  let i = 0;
  // pmax(0, v) = 0 < v ? v : 0, exactly the reference's v > 0 ? v : 0
  for (; i + 4 <= len; i += 4) v128.store(out + (<usize>i << 2), f32x4.pmax(zero, v128.load(v + (<usize>i << 2))));
  for (; i < len; i++) {
    const x = load<f32>(v + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), x > 0 ? x : 0);
  }
}

/** dvBelow(m, k) = (dv(m, n)·W(k, n)ᵀ) ⊙ g'(vBelow) for g = identity or ReLU (g' = 1 where v > 0, else 0) */
export function denseBackwardInput(dvBelow: usize, dv: usize, W: usize, vBelow: usize, m: i32, n: i32, k: i32, act: i32, scratch: usize): void {
  gemmNT(dvBelow, dv, W, m, n, k, scratch);
  if (act == ACT_IDENTITY) return;
  const len = m * k;
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const p = dvBelow + (<usize>i << 2);
    v128.store(p, v128.and(v128.load(p), f32x4.gt(v128.load(vBelow + (<usize>i << 2)), zero)));
  }
  for (; i < len; i++) {
    const p = dvBelow + (<usize>i << 2);
    if (!(load<f32>(vBelow + (<usize>i << 2)) > 0)) store<f32>(p, 0);
  }
}
