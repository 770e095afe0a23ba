import { coverNodes, splitPoint, workerShards } from '@shardgrad/worker';

/** One node of the reduction tree as drawn: shards [lo, hi), where it sits, and who adds it. */
export interface TreeDrawNode {
  readonly lo: number;
  readonly hi: number;
  /** 0 at the root, growing downwards */
  readonly depth: number;
  readonly x: number;
  readonly y: number;
  /** the worker whose local reduction computes it, or −1: a node of the top, added per parameter slice */
  readonly owner: number;
  /** a node the worker publishes (the largest nodes inside its shards) */
  readonly published: boolean;
  /** samples under it in this step */
  readonly rows: number;
  /** index of the parent in `nodes`, −1 at the root */
  readonly parent: number;
}

export interface TreeDrawing {
  readonly nodes: readonly TreeDrawNode[];
  /** levels below the root */
  readonly depth: number;
}

/**
 * The canonical pairwise tree over the V shards in order (the worker package's splitPoint: every
 * left child a full power of two), laid out for drawing in a width × height box: leaves evenly
 * spaced at the bottom, each inner node above the middle of its children. Each worker's shards
 * (workerShards) are cut into the nodes it publishes (coverNodes); nodes under those are its own,
 * the nodes above them are the top of the tree, evaluated per parameter slice.
 */
export function reductionTree(V: number, W: number, shardRows: ArrayLike<number>, width: number, height: number, pad = 14): TreeDrawing {
  const published = new Map<string, number>();
  for (let w = 0; w < W; w++) {
    const [s0, s1] = workerShards(V, W, w);
    for (const n of coverNodes(V, s0, s1)) published.set(`${n.lo},${n.hi}`, w);
  }
  const depthOf = (lo: number, hi: number): number => {
    const mid = splitPoint(lo, hi);
    return mid < 0 ? 0 : 1 + Math.max(depthOf(lo, mid), depthOf(mid, hi));
  };
  const depth = depthOf(0, V);
  const nodes: TreeDrawNode[] = [];
  const leafX = (s: number) => pad + ((s + 0.5) / V) * (width - 2 * pad);
  const levelY = (d: number) => pad + (depth === 0 ? 0 : (d / depth) * (height - 2 * pad));
  const visit = (lo: number, hi: number, d: number, parent: number, inherited: number): number => {
    const key = `${lo},${hi}`;
    const owner = published.get(key) ?? inherited;
    let rows = 0;
    for (let s = lo; s < hi; s++) rows += shardRows[s] ?? 0;
    const index = nodes.length;
    const mid = splitPoint(lo, hi);
    // a placeholder for the node, filled in once its children are placed
    nodes.push({ lo, hi, depth: d, x: 0, y: 0, owner, published: published.has(key), rows, parent });
    let x: number;
    if (mid < 0) x = leafX(lo);
    else {
      const a = visit(lo, mid, d + 1, index, owner);
      const b = visit(mid, hi, d + 1, index, owner);
      x = (nodes[a].x + nodes[b].x) / 2;
    }
    // leaves sit on the bottom line whatever their depth (the tree over V is not always full)
    nodes[index] = { ...nodes[index], x, y: mid < 0 ? levelY(depth) : levelY(d) };
    return index;
  };
  visit(0, V, 0, -1, -1);
  return { nodes, depth };
}
