// The multiply-add every tile is built on, and how a tile's accumulators start.

/** the tile starts at zero */
export const MODE_ZERO: i32 = 0;
/** the tile starts at the bias row b(n), repeated down the rows */
export const MODE_BIAS: i32 = 1;
/** the tile starts at what C already holds (C += A·B) */
export const MODE_ACCUMULATE: i32 = 2;
/**
 * the tile starts at zero and stores a node of the reduction tree: the fresh sum s, then, for each
 * pending buffer of the chain (innermost first), s = pending + s — see gemmTNTree in step.ts
 */
export const MODE_TREE: i32 = 3;

/** MODE_TREE's chain: `treeCount` byte offsets (i32) at `treeDeltas`, each from C's buffer to a pending buffer */
export let treeDeltas: usize = 0;
export let treeCount: i32 = 0;

/** The scalar form of put, for tail columns. */
// @ts-ignore: decorator
@inline
export function put1(p: usize, v: f32, mode: i32): void {
  if (mode == MODE_TREE) {
    for (let i = 0; i < treeCount; i++) v = load<f32>(p + <usize>load<i32>(treeDeltas + (<usize>i << 2))) + v;
  }
  store<f32>(p, v);
}

/**
 * c + a·b lane-wise. The relaxed build (`--enable relaxed-simd`) uses f32x4.relaxed_madd, a fused
 * multiply-add where the CPU has one (one instruction, ~1.4× the throughput); the plain build
 * multiplies then adds. Which one is fixed when the module is compiled, so the branch costs nothing.
 */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * One lane of madd: c + a·b for scalars. The relaxed build fuses it like the vector tiles (one
 * rounding), so every output element of a product, tail columns included, is one chain of fused
 * multiply-adds in k order — the rule a native kernel must follow to give the same bits.
 */
// @ts-ignore: decorator
@inline
export function madd1(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return c + a * b;
}
