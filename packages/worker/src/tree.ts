import { shardRange } from './shards.js';

/**
 * The canonical reduction tree over the V virtual shards of a batch, and how W workers share it.
 *
 * The sum of the V shard gradients is DEFINED as one pairwise binary tree over the shards in order:
 * node [lo, hi) with more than one shard splits at lo + 2^(⌈log₂(hi − lo)⌉ − 1), so every left child
 * is a full power of two and every node is aligned (the tree over 2^⌈log₂V⌉ leaves with the empty
 * right parts pruned). Float addition is commutative but not associative: the tree, not the worker
 * count, fixes every association, so any W gives the same bits (docs/design.md draws it).
 *
 * A worker owns a contiguous range of shards, cut into the largest tree nodes inside it (like a
 * segment tree). It reduces each such node as it goes — a leaf that is a right child stores
 * "pending + leaf" instead of the leaf — and publishes one buffer per node. The levels above are
 * evaluated per parameter slice from the published buffers, in place.
 */

/** A tree node: shards [lo, hi). */
export interface TreeNode {
  readonly lo: number;
  readonly hi: number;
}

/** Where a node's children split, or −1 for a leaf. */
export function splitPoint(lo: number, hi: number): number {
  const size = hi - lo;
  if (size <= 1) return -1;
  let half = 1;
  while (half * 2 < size) half *= 2;
  return lo + half;
}

/**
 * One leaf of a worker's local reduction: shard `shard`'s gradient, summed from zero, then added to
 * the pending buffers `adds` (slot numbers, innermost level first) and stored in slot `dst`
 * (the outermost pending slot, or a fresh slot when `adds` is empty).
 */
export interface LeafOp {
  readonly shard: number;
  readonly dst: number;
  readonly adds: readonly number[];
}

/** A buffer of the tree: partial slot `slot` of worker `worker`. */
export interface BufferRef {
  readonly worker: number;
  readonly slot: number;
}

/** One inner node at the top: a = a + b over the slice. */
export interface TopOp {
  readonly a: BufferRef;
  readonly b: BufferRef;
}

export interface WorkerTreePlan {
  /** the worker's shards [s0, s1) */
  readonly s0: number;
  readonly s1: number;
  /** the leaf operations in order */
  readonly leaves: readonly LeafOp[];
  /** the nodes it publishes, with the slot holding each */
  readonly published: readonly (TreeNode & { readonly slot: number })[];
  /** partial-gradient buffers it needs */
  readonly slots: number;
}

export interface TreePlan {
  readonly V: number;
  readonly W: number;
  readonly workers: readonly WorkerTreePlan[];
  /** the inner nodes above the published ones, in evaluation order, the root's own add excluded */
  readonly top: readonly TopOp[];
  /** the root's value = root (+ other): the last add, fused into the slice pass */
  readonly root: BufferRef;
  readonly rootOther?: BufferRef;
}

/** Worker w's shards of V among W: contiguous, balanced to within one (like shardBound). */
export function workerShards(V: number, W: number, w: number): [number, number] {
  return shardRange(0, V, W, w);
}

/** The tree's plan for V shards on W workers (W ≤ V): pure, so every thread derives the same one. */
export function planTree(V: number, W: number): TreePlan {
  if (!(Number.isInteger(V) && V >= 1 && Number.isInteger(W) && W >= 1 && W <= V)) throw new Error(`planTree: need 1 ≤ W ≤ V, got V=${V}, W=${W}`);
  const workers = Array.from({ length: W }, (_, w) => planWorker(V, ...workerShards(V, W, w)));
  const owner = new Map<string, BufferRef>();
  workers.forEach((p, w) => p.published.forEach((n) => owner.set(`${n.lo},${n.hi}`, { worker: w, slot: n.slot })));
  const top: TopOp[] = [];
  const evalTop = (lo: number, hi: number): BufferRef => {
    const own = owner.get(`${lo},${hi}`);
    if (own) return own;
    const mid = splitPoint(lo, hi);
    const a = evalTop(lo, mid);
    const b = evalTop(mid, hi);
    top.push({ a, b });
    return a;
  };
  const root = evalTop(0, V);
  const last = owner.has(`0,${V}`) ? undefined : top.pop();
  return { V, W, workers, top, root, ...(last ? { rootOther: last.b } : {}) };
}

/** One worker's leaves, published nodes and slot count for its shards [s0, s1). */
function planWorker(V: number, s0: number, s1: number): WorkerTreePlan {
  const leaves: LeafOp[] = [];
  const published: (TreeNode & { slot: number })[] = [];
  const free: number[] = [];
  let slots = 0;
  const take = () => (free.length ? free.sort((a, b) => a - b).shift()! : slots++);
  // a node's value, plus the pending slots (outermost first) it completes, into pending[0] or a fresh slot
  const emit = (lo: number, hi: number, pending: number[]): number => {
    const mid = splitPoint(lo, hi);
    if (mid < 0) {
      if (pending.length === 0) {
        const dst = take();
        leaves.push({ shard: lo, dst, adds: [] });
        return dst;
      }
      leaves.push({ shard: lo, dst: pending[0], adds: [...pending].reverse() });
      free.push(...pending.slice(1));
      return pending[0];
    }
    const left = emit(lo, mid, []);
    return emit(mid, hi, [...pending, left]);
  };
  // the largest tree nodes inside [s0, s1), left to right
  const cover = (lo: number, hi: number): void => {
    if (hi <= s0 || lo >= s1) return;
    if (lo >= s0 && hi <= s1) {
      published.push({ lo, hi, slot: emit(lo, hi, []) });
      return;
    }
    const mid = splitPoint(lo, hi);
    cover(lo, mid);
    cover(mid, hi);
  };
  cover(0, V);
  return { s0, s1, leaves, published, slots };
}

/** The tree's sum written as an expression, e.g. "((0+1)+(2+3))": for docs and tests. */
export function treeExpression(lo: number, hi: number): string {
  const mid = splitPoint(lo, hi);
  return mid < 0 ? String(lo) : `(${treeExpression(lo, mid)}+${treeExpression(mid, hi)})`;
}
