import { paramLayout } from '@shardgrad/core';
import { planTree, type TreePlan } from '@shardgrad/worker';
import { describe, expect, it } from 'vitest';
import { batchPosition, batchReading } from '../src/views/noise-model.js';
import { reductionTree } from '../src/views/tree-model.js';
import { largestGradient, paramName, treeValues } from '../src/views/tree-values-model.js';
import { revealTimes, shortValue } from '../src/views/tree-view.js';

const E = 2 ** -24; // half a float32 ulp of 1: 1 + E rounds to 1 (ties to even), 1 + 2E is a float32

/** The published nodes of a plan in its order, and their sums (one P-vector per node) in one (nodes, P) array. */
function publishedOf(plan: TreePlan, values: number[][]): { nodes: { lo: number; hi: number }[]; sums: Float32Array } {
  const nodes = plan.workers.flatMap((wp) => wp.published.map((n) => ({ lo: n.lo, hi: n.hi })));
  const P = values[0].length;
  const sums = new Float32Array(nodes.length * P);
  values.forEach((v, k) => sums.set(v, k * P));
  return { nodes, sums };
}

describe('the tree panel’s values', () => {
  // V = 6 shards on W = 3 workers: shards [0,2), [2,4), [4,6), each published whole. The tree over 6
  // splits at 4: root = ([0,2) + [2,4)) + [4,6) — the top is one add below the root.
  const plan = planTree(6, 3);
  const { nodes, sums } = publishedOf(plan, [[1, 3], [E, 0.5], [E, -0.25]]);

  it('published sums as given, the top added pairwise in float32 in the tree’s order, the nodes below marked', () => {
    const v = treeValues(6, nodes, sums, 2, 0, Float32Array.from([0.1, 0.2]));
    // preorder: [0,6) [0,4) [0,2) [0,1) [1,2) [2,4) [2,3) [3,4) [4,6) [4,5) [5,6)
    expect(v.nodes.map((n) => `${n.lo}-${n.hi}:${n.kind}`)).toEqual([
      '0-6:top', '0-4:top', '0-2:published', '0-1:kernel', '1-2:kernel', '2-4:published', '2-3:kernel', '3-4:kernel', '4-6:published', '4-5:kernel', '5-6:kernel',
    ]);
    // (1 + E) + E: each add rounds back to 1; 1 + (E + E) would give 1 + 2E
    expect(v.nodes[1].value).toBe(1);
    expect(v.root).toBe(1);
    expect(v.nodes[0].value).toBe(1);
    expect(v.nodes[2].value).toBe(1);
    expect(v.nodes[5].value).toBe(Math.fround(E));
    expect(Number.isNaN(v.nodes[3].value)).toBe(true);
    expect(v.avg).toBe(Math.fround(0.1));
    // parameter 1: (3 + 0.5) + (−0.25) = 3.25
    expect(treeValues(6, nodes, sums, 2, 1, new Float32Array(2)).root).toBe(3.25);
  });

  it('one worker publishes the root’s two halves (the engine keeps them for the noise estimate); the root is the top', () => {
    const { nodes, sums } = publishedOf(planTree(4, 1), [[7], [-0.5]]);
    expect(nodes).toEqual([{ lo: 0, hi: 2 }, { lo: 2, hi: 4 }]);
    const v = treeValues(4, nodes, sums, 1, 0, Float32Array.from([1.625]));
    expect(v.nodes.map((n) => n.kind)).toEqual(['top', 'published', 'kernel', 'kernel', 'published', 'kernel', 'kernel']);
    expect(v.root).toBe(6.5);
  });

  it('animates a step bottom-up: each node appears at its height over the root’s', () => {
    // V = 4: preorder [0,4) [0,2) [0,1) [1,2) [2,4) [2,3) [3,4), heights 2 1 0 0 1 0 0;
    // V = 3: [0,3) [0,2) [0,1) [1,2) [2,3) — shard 2 is a leaf right under the root
    expect(revealTimes(reductionTree(4, 2, [1, 1, 1, 1], 100, 100))).toEqual([1, 0.5, 0, 0, 0.5, 0, 0]);
    expect(revealTimes(reductionTree(3, 1, [1, 1, 1], 100, 100))).toEqual([1, 0.5, 0, 0, 0]);
    expect(revealTimes(reductionTree(1, 1, [1], 100, 100))).toEqual([1]);
    expect([0, 0.0123456, -12.5, 123456, 1e-5].map(shortValue)).toEqual(['0', '0.0123', '-12.5', '1.2e+5', '1.0e-5']);
  });

  it('names parameters as the lecture does and finds the largest |ḡ|', () => {
    // sizes 2-3-2: W¹ (2×3) at 0–5, b¹ at 6–8, W² (3×2) at 9–14, b² at 15–16
    const layout = paramLayout([2, 3, 2]);
    expect([0, 5, 6, 9, 14, 16].map((p) => paramName(layout, p))).toEqual(['W¹[0→0]', 'W¹[1→2]', 'b¹[0]', 'W²[0→0]', 'W²[2→1]', 'b²[1]']);
    expect(() => paramName(layout, 17)).toThrow('parameter 17');
    expect(largestGradient([0.5, -2, 2, 1])).toBe(1);
  });
});

describe('the noise chart’s reading and batch slider', () => {
  it('says where the batch stands against B_simple (factors of 2)', () => {
    expect(batchReading(8, 100)).toContain('well below B_simple');
    expect(batchReading(64, 100)).toContain('near B_simple');
    expect(batchReading(512, 100)).toContain('well above B_simple');
    expect(batchReading(512, 100)).toMatch(/^B_simple ≈ 100, batch B = 512 \(B \/ B_simple = 5\.1\)/);
    expect(batchReading(32, NaN)).toContain('not measured yet');
    expect(batchReading(32, -4)).toContain('not measured yet');
  });
  it('puts a batch size on the nearest power of two, 1 … 1024', () => {
    expect([1, 20, 32, 48, 1024, 3000].map(batchPosition)).toEqual([0, 4, 5, 6, 10, 10]);
  });
});
