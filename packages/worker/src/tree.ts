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
  /** across processes (MPI ranks): how this rank's sums meet the other ranks' (absent for one process) */
  readonly exchange?: ExchangePlan;
}

/** One process among `size` (an MPI rank): it runs the workers of shards rankShards(V, size, rank). */
export interface RankShape {
  readonly size: number;
  readonly rank: number;
  /** how ranks meet (layout.ts ExchangeLayout): every rank gets every node, or each finishes its parameter slice; default gather */
  readonly exchange?: 'gather' | 'slices';
}

/**
 * The tree across ranks. Each rank reduces its workers' published nodes into the largest tree nodes
 * inside its own shards (`localTop`, then `copies` into its block of the exchange buffer), the
 * ranks exchange those nodes (every rank receives every other rank's), and every rank evaluates
 * the same `top` over the exchanged nodes: the buffers of that top are BufferRef{worker: W, slot:
 * the node's index in `nodes`}. Same tree, same association, so the same bits for any ranks × workers.
 */
export interface ExchangePlan {
  readonly size: number;
  readonly rank: number;
  /** every rank's published nodes, rank by rank, each rank's left to right */
  readonly nodes: readonly (TreeNode & { readonly rank: number })[];
  /** the adds among this rank's workers' buffers that form its nodes (evaluated per parameter slice) */
  readonly localTop: readonly TopOp[];
  /** this rank's nodes: which worker buffer holds node `node` (an index into `nodes`) after localTop */
  readonly copies: readonly { readonly from: BufferRef; readonly node: number }[];
}

/** Rank r's shards of V among `size` ranks: contiguous, balanced to within one. */
export function rankShards(V: number, ranks: RankShape): [number, number] {
  return shardRange(0, V, ranks.size, ranks.rank);
}

/** Worker w's shards of V among W: contiguous, balanced to within one (like shardBound); inside its rank's shards with `ranks`. */
export function workerShards(V: number, W: number, w: number, ranks?: RankShape): [number, number] {
  if (!ranks || ranks.size === 1) return shardRange(0, V, W, w);
  const [a, b] = rankShards(V, ranks);
  return shardRange(a, b, W, w);
}

/** The largest tree nodes inside [s0, s1), left to right (how a range is cut into published nodes). */
export function coverNodes(V: number, s0: number, s1: number): TreeNode[] {
  const out: TreeNode[] = [];
  const cover = (lo: number, hi: number): void => {
    if (hi <= s0 || lo >= s1) return;
    if (lo >= s0 && hi <= s1) {
      out.push({ lo, hi });
      return;
    }
    const mid = splitPoint(lo, hi);
    cover(lo, mid);
    cover(mid, hi);
  };
  cover(0, V);
  return out;
}

/**
 * The adds that evaluate node [lo, hi) from buffers that already hold some of its descendants
 * (`owner`), appended to `ops` in evaluation order; returns the buffer holding the result.
 */
function evaluate(lo: number, hi: number, owner: Map<string, BufferRef>, ops: TopOp[]): BufferRef {
  const own = owner.get(`${lo},${hi}`);
  if (own) return own;
  const mid = splitPoint(lo, hi);
  if (mid < 0) throw new Error(`the tree plan has no buffer for shard ${lo}`);
  const a = evaluate(lo, mid, owner, ops);
  const b = evaluate(mid, hi, owner, ops);
  ops.push({ a, b });
  return a;
}

/** The tree's plan for V shards on W workers (W ≤ V; with `ranks`, W workers in each rank, W ≤ its shards): pure, so every thread derives the same one. */
export function planTree(V: number, W: number, ranks?: RankShape): TreePlan {
  const R = ranks?.size ?? 1;
  const ok = Number.isInteger(V) && V >= 1 && Number.isInteger(W) && W >= 1 && Number.isInteger(R) && R >= 1 && R <= V && (!ranks || (ranks.rank >= 0 && ranks.rank < R));
  const [a, b] = ok && ranks ? rankShards(V, ranks) : [0, V];
  if (!ok || W > b - a) throw new Error(`planTree: need 1 ≤ W ≤ the shards of the rank, ranks ≤ V, got V=${V}, W=${W}, ranks=${R}`);
  const workers = Array.from({ length: W }, (_, w) => planWorker(V, ...workerShards(V, W, w, ranks)));
  const owner = new Map<string, BufferRef>();
  workers.forEach((p, w) => p.published.forEach((n) => owner.set(`${n.lo},${n.hi}`, { worker: w, slot: n.slot })));
  if (!ranks || R === 1) {
    const top: TopOp[] = [];
    const root = evaluate(0, V, owner, top);
    const last = owner.has(`0,${V}`) ? undefined : top.pop();
    return { V, W, workers, top, root, ...(last ? { rootOther: last.b } : {}) };
  }
  // this rank's workers' buffers → its nodes; then the exchanged nodes of all ranks → the root
  const nodes = Array.from({ length: R }, (_, r) => coverNodes(V, ...rankShards(V, { size: R, rank: r })).map((n) => ({ ...n, rank: r }))).flat();
  const localTop: TopOp[] = [];
  const copies: { from: BufferRef; node: number }[] = [];
  nodes.forEach((n, i) => {
    if (n.rank === ranks.rank) copies.push({ from: evaluate(n.lo, n.hi, owner, localTop), node: i });
  });
  const exchanged = new Map<string, BufferRef>(nodes.map((n, i) => [`${n.lo},${n.hi}`, { worker: W, slot: i }]));
  const top: TopOp[] = [];
  const root = evaluate(0, V, exchanged, top);
  const last = exchanged.has(`0,${V}`) ? undefined : top.pop();
  return { V, W, workers, top, root, ...(last ? { rootOther: last.b } : {}), exchange: { size: R, rank: ranks.rank, nodes, localTop, copies } };
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
  // the largest tree nodes inside [s0, s1), left to right; never the root itself: a worker with
  // all the shards publishes its two children, so that the root's add is always the slice pass's
  // and both halves stay in their buffers after a step (the live noise estimate reads them)
  for (const n of coverNodes(V, s0, s1)) {
    const mid = n.lo === 0 && n.hi === V ? splitPoint(0, V) : -1;
    const parts = mid < 0 ? [n] : [{ lo: 0, hi: mid }, { lo: mid, hi: V }];
    for (const m of parts) published.push({ ...m, slot: emit(m.lo, m.hi, []) });
  }
  return { s0, s1, leaves, published, slots };
}

/** The tree's sum written as an expression, e.g. "((0+1)+(2+3))": for docs and tests. */
export function treeExpression(lo: number, hi: number): string {
  const mid = splitPoint(lo, hi);
  return mid < 0 ? String(lo) : `(${treeExpression(lo, mid)}+${treeExpression(mid, hi)})`;
}
