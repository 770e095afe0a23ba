import { describe, expect, it } from 'vitest';
import { planTree, rankShards, splitPoint, treeExpression, workerShards, type TreePlan } from '../src/tree.js';

/** The tree written straight from its definition, evaluated with float32 adds: the oracle. */
function treeSum(leaves: Float32Array[], lo: number, hi: number): Float32Array {
  if (hi - lo === 1) return leaves[lo];
  let half = 1;
  while (half * 2 < hi - lo) half *= 2;
  const a = treeSum(leaves, lo, lo + half);
  const b = treeSum(leaves, lo + half, hi);
  return a.map((x, i) => Math.fround(x + b[i]));
}

/** A rank's workers' leaves through their pending slots, over small vectors: the slots of every worker. */
function runLeaves(plan: TreePlan, leaves: Float32Array[]): Float32Array[][] {
  const n = leaves[0].length;
  const slots = plan.workers.map((wp) => Array.from({ length: wp.slots }, () => new Float32Array(n).fill(NaN)));
  plan.workers.forEach((wp, w) => {
    for (const op of wp.leaves) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = leaves[op.shard][i];
        for (const a of op.adds) s = Math.fround(slots[w][a][i] + s);
        out[i] = s;
      }
      slots[w][op.dst].set(out);
    }
  });
  return slots;
}

const add = (a: Float32Array, b: Float32Array) => {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i] + b[i]);
};

/** Runs a plan as the workers do — leaves through their pending slots, then the top in order — over small vectors. */
function runPlan(V: number, W: number, leaves: Float32Array[]): Float32Array {
  const plan = planTree(V, W);
  const slots = runLeaves(plan, leaves);
  const n = leaves[0].length;
  const buf = (r: { worker: number; slot: number }) => slots[r.worker][r.slot];
  for (const op of plan.top) {
    const a = buf(op.a);
    const b = buf(op.b);
    for (let i = 0; i < n; i++) a[i] = Math.fround(a[i] + b[i]);
  }
  const root = buf(plan.root);
  const other = plan.rootOther && buf(plan.rootOther);
  return root.map((x, i) => (other ? Math.fround(x + other[i]) : x));
}

describe('the canonical reduction tree', () => {
  it('splits every node at the largest power of two below its size (worked by hand)', () => {
    expect(treeExpression(0, 1)).toBe('0');
    expect(treeExpression(0, 5)).toBe('(((0+1)+(2+3))+4)');
    expect(treeExpression(0, 6)).toBe('(((0+1)+(2+3))+(4+5))');
    expect(treeExpression(0, 7)).toBe('(((0+1)+(2+3))+((4+5)+6))');
    expect(treeExpression(0, 16)).toBe('((((0+1)+(2+3))+((4+5)+(6+7)))+(((8+9)+(10+11))+((12+13)+(14+15))))');
    expect([splitPoint(0, 16), splitPoint(8, 16), splitPoint(0, 3), splitPoint(4, 5)]).toEqual([8, 12, 2, -1]);
  });

  it('gives workers contiguous, balanced shard ranges', () => {
    expect([0, 1, 2].map((w) => workerShards(16, 3, w))).toEqual([[0, 6], [6, 11], [11, 16]]);
  });

  it('cuts a worker range into the largest tree nodes inside it: 16 shards over 3 workers (by hand)', () => {
    const plan = planTree(16, 3);
    expect(plan.workers.map((w) => w.published.map((n) => [n.lo, n.hi]))).toEqual([
      [[0, 4], [4, 6]],
      [[6, 8], [8, 10], [10, 11]],
      [[11, 12], [12, 16]],
    ]);
  });

  it('reduces a whole aligned subtree with log₂ + 1 partial buffers: 16 shards on one worker use 4', () => {
    const plan = planTree(16, 1);
    const p = plan.workers[0];
    expect(p.slots).toBe(4);
    // never the root itself: the two halves [0, 8) and [8, 16) are published (slots 0 and 1) and
    // the root's add is the slice pass's (root + rootOther), so both halves outlive the step
    expect(p.published).toEqual([{ lo: 0, hi: 8, slot: 0 }, { lo: 8, hi: 16, slot: 1 }]);
    expect([plan.root, plan.rootOther, plan.top]).toEqual([{ worker: 0, slot: 0 }, { worker: 0, slot: 1 }, []]);
    // the last leaf of each half finishes its pending levels in one store: (s8 + (s12 + (s14 + leaf)))
    expect(p.leaves[7]).toEqual({ shard: 7, dst: 0, adds: [2, 1, 0] });
    expect(p.leaves[15]).toEqual({ shard: 15, dst: 1, adds: [3, 2, 1] });
    expect(planTree(16, 16).workers.every((w) => w.slots === 1)).toBe(true);
  });

  it('gives the bits of the tree definition for every V ≤ 20 and every W ≤ V', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (let V = 1; V <= 20; V++) {
      // values of mixed magnitudes, so the order of additions shows in the last bits
      const leaves = Array.from({ length: V }, () => Float32Array.from({ length: 8 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 6)));
      const want = treeSum(leaves, 0, V);
      for (let W = 1; W <= V; W++) expect(Array.from(runPlan(V, W, leaves)), `V=${V} W=${W}`).toEqual(Array.from(want));
    }
  });

  it('across ranks: every rank of R (W workers each, W up to its shards) ends with the bits of the tree definition, V ≤ 20', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (let V = 2; V <= 20; V++) {
      const leaves = Array.from({ length: V }, () => Float32Array.from({ length: 8 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 6)));
      const want = Array.from(treeSum(leaves, 0, V));
      for (let R = 2; R <= V; R++) {
        for (const W of [1, 2, 3]) {
          if (Array.from({ length: R }, (_, r) => rankShards(V, { size: R, rank: r })).some(([a, b]) => W > b - a)) continue;
          // each rank: its leaves, its local adds, its nodes into the exchange; then the exchanged nodes → the root
          const plans = Array.from({ length: R }, (_, r) => planTree(V, W, { size: R, rank: r }));
          const exchange: Float32Array[] = plans[0].exchange!.nodes.map(() => new Float32Array(8).fill(NaN));
          for (const plan of plans) {
            const slots = runLeaves(plan, leaves);
            const x = plan.exchange!;
            for (const op of x.localTop) add(slots[op.a.worker][op.a.slot], slots[op.b.worker][op.b.slot]);
            for (const c of x.copies) exchange[c.node].set(slots[c.from.worker][c.from.slot]);
          }
          for (const plan of plans) {
            const nodes = exchange.map((e) => Float32Array.from(e));
            const buf = (r: { worker: number; slot: number }) => {
              expect(r.worker).toBe(W);
              return nodes[r.slot];
            };
            for (const op of plan.top) add(buf(op.a), buf(op.b));
            const root = buf(plan.root);
            const other = plan.rootOther && buf(plan.rootOther);
            expect(Array.from(root.map((x, i) => (other ? Math.fround(x + other[i]) : x))), `V=${V} R=${R} W=${W} rank ${plan.exchange!.rank}`).toEqual(want);
          }
        }
      }
    }
  });

  it('across ranks: 3 ranks on 16 shards exchange the largest nodes inside each rank (by hand)', () => {
    const nodes = planTree(16, 2, { size: 3, rank: 1 }).exchange!.nodes.map((n) => [n.rank, n.lo, n.hi]);
    expect(nodes).toEqual([[0, 0, 4], [0, 4, 6], [1, 6, 8], [1, 8, 10], [1, 10, 11], [2, 11, 12], [2, 12, 16]]);
    // 2 ranks × 2 workers: one node per rank, the root's two halves
    const two = planTree(16, 2, { size: 2, rank: 0 });
    expect(two.exchange!.nodes.map((n) => [n.lo, n.hi])).toEqual([[0, 8], [8, 16]]);
    expect(two.workers.map((w) => [w.s0, w.s1])).toEqual([[0, 4], [4, 8]]);
    expect(two.exchange!.localTop).toEqual([{ a: { worker: 0, slot: 0 }, b: { worker: 1, slot: 0 } }]);
    expect([two.top.length, two.root, two.rootOther]).toEqual([0, { worker: 2, slot: 0 }, { worker: 2, slot: 1 }]);
  });

  it('a different association gives different bits on the same data (so the comparison above can fail)', () => {
    const leaves = [1e8, 1, -1e8, 1].map((x) => Float32Array.of(x));
    const sequential = Math.fround(Math.fround(Math.fround(leaves[0][0] + leaves[1][0]) + leaves[2][0]) + leaves[3][0]);
    expect(runPlan(4, 2, leaves)[0]).not.toBe(sequential);
  });
});
