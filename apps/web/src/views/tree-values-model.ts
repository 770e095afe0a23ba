import type { ParamLayout } from '@shardgrad/core';
import { splitPoint, type TreeNode } from '@shardgrad/worker';

/**
 * Where a node's value comes from: `published`, a worker's subtree sum read from the run's memory;
 * `top`, an add above the published sums (every worker does it over its parameter slice; recomputed
 * here in the same order, float32); `kernel`, a node below a published one — a shard's gradient or a
 * pairwise sum inside one worker, added in its gradient kernel and never stored on its own.
 */
export type TreeValueKind = 'published' | 'top' | 'kernel';

export interface TreeNodeValue extends TreeNode {
  readonly kind: TreeValueKind;
  /** the node's value at the chosen parameter (a sum over its shards' rows); NaN for `kernel` */
  readonly value: number;
}

/** The value of every node of one step's reduction tree at one parameter. */
export interface TreeValues {
  /** the parameter's index in the flat vector */
  readonly param: number;
  /** preorder (node, left subtree, right subtree): the order of tree-model's reductionTree */
  readonly nodes: readonly TreeNodeValue[];
  /** the root: the batch's gradient sum Σ over its B rows */
  readonly root: number;
  /** ḡ at the parameter as the engine stored it: fl(root · (1/B)) */
  readonly avg: number;
}

/**
 * The tree's values at parameter `param` for one step: the published nodes from `publishedSums`
 * ((nodes, P), in the order of `published`), every node above them added pairwise in float32 in
 * the tree's order (so the root is the sum the engine scales into ḡ), the nodes below them marked.
 */
export function treeValues(V: number, published: readonly TreeNode[], publishedSums: Float32Array, P: number, param: number, avgGrad: Float32Array): TreeValues {
  const at = new Map(published.map((n, k) => [`${n.lo},${n.hi}`, publishedSums[k * P + param]]));
  const nodes: TreeNodeValue[] = [];
  const visit = (lo: number, hi: number, below: boolean): number => {
    const own = at.get(`${lo},${hi}`);
    const index = nodes.length;
    nodes.push({ lo, hi, kind: below ? 'kernel' : own !== undefined ? 'published' : 'top', value: NaN });
    const mid = splitPoint(lo, hi);
    if (below || own !== undefined) {
      if (mid >= 0) {
        visit(lo, mid, true);
        visit(mid, hi, true);
      }
      if (own === undefined) return NaN;
      nodes[index] = { ...nodes[index], value: own };
      return own;
    }
    if (mid < 0) throw new Error(`no published sum holds shard ${lo}`);
    const value = Math.fround(visit(lo, mid, false) + visit(mid, hi, false));
    nodes[index] = { ...nodes[index], value };
    return value;
  };
  const root = visit(0, V, false);
  return { param, nodes, root, avg: avgGrad[param] };
}

/** The index of the largest |ḡ_i| (the first of equals): a parameter whose gradient shows. */
export function largestGradient(avgGrad: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < avgGrad.length; i++) if (Math.abs(avgGrad[i]) > Math.abs(avgGrad[best])) best = i;
  return best;
}

/**
 * A parameter's name in the lecture's notation, 1-based layers: `W²[3→5]` is the weight from unit 3
 * of node layer 1 to unit 5 of node layer 2, `b²[5]` that unit's bias, `W⁰→²[3→5]` a skip weight.
 */
export function paramName(layout: ParamLayout, p: number): string {
  const sup = (n: number) => String(n).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]);
  for (let l = 0; l < layout.layers.length; l++) {
    const { w, b, nIn, nOut } = layout.layers[l];
    if (p >= w && p < w + nIn * nOut) return `W${sup(l + 1)}[${Math.floor((p - w) / nOut)}→${(p - w) % nOut}]`;
    if (p >= b && p < b + nOut) return `b${sup(l + 1)}[${p - b}]`;
  }
  for (const s of layout.skips) {
    if (p >= s.w && p < s.w + s.nIn * s.nOut) return `W${sup(s.from)}→${sup(s.to)}[${Math.floor((p - s.w) / s.nOut)}→${(p - s.w) % s.nOut}]`;
  }
  throw new Error(`parameter ${p} is not in the layout of ${layout.total}`);
}
