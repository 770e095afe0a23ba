/**
 * Virtual shard s of a batch [start, end) of the epoch order: the batch is cut into V nearly equal
 * contiguous ranges (sizes differ by at most one; shards past the end are empty). Depends only on
 * the batch and V, never on the worker count — the root of bit-identical results.
 */
export function shardRange(start: number, end: number, V: number, s: number): [number, number] {
  return [shardBound(start, end, V, s), shardBound(start, end, V, s + 1)];
}

/**
 * Where virtual shard s of the batch [start, end) begins (s = V gives `end`): shard s is
 * [shardBound(s), shardBound(s + 1)). The allocation-free form of shardRange, for the step loop.
 */
export function shardBound(start: number, end: number, V: number, s: number): number {
  const B = end - start;
  const base = Math.floor(B / V);
  const extra = B % V;
  return start + s * base + Math.min(s, extra);
}

/** Floats a parameter slice is aligned to: 16 floats = one 64-byte cache line, so no two workers write one line. */
const SLICE_ALIGN = 16;

/**
 * The slice [p0, p1) of P parameters that worker w of W finishes and updates: contiguous, cut on
 * boundaries of `align` floats (default a cache line; the live noise estimate's blocks when it is
 * on), balanced to within one such unit.
 */
export function paramSlice(P: number, W: number, w: number, align: number = SLICE_ALIGN): [number, number] {
  const units = Math.ceil(P / align);
  const at = (i: number) => Math.min(P, shardBound(0, units, W, i) * align);
  return [at(w), at(w + 1)];
}
