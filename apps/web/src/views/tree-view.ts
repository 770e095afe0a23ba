import type { TreeDrawing } from './tree-model.js';
import type { TreeValues } from './tree-values-model.js';

/** Categorical colours of workers 0, 1, … (repeating); grey for the top of the tree. */
export const WORKER_COLORS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
const TOP = '#9aa3ab';

export const workerColor = (w: number): string => (w < 0 ? TOP : WORKER_COLORS[w % WORKER_COLORS.length]);

/** A short form of a value for the canvas (the table below it has every digit). */
export const shortValue = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(1));

/**
 * When each node appears as a step is animated, in [0, 1]: its height over the root's (leaves at 0,
 * the root at 1), so the sums fill in bottom-up — the workers' kernels, their published sums, the top.
 */
export function revealTimes(tree: TreeDrawing): number[] {
  const height = tree.nodes.map(() => 0);
  // preorder: every child comes after its parent, so backwards each child is final before its parent
  for (let i = tree.nodes.length - 1; i > 0; i--) {
    const p = tree.nodes[i].parent;
    height[p] = Math.max(height[p], height[i] + 1);
  }
  return height.map((h) => (height[0] === 0 ? 1 : h / height[0]));
}

/** Levels with more labelled nodes than this show their values in the table only (they would overlap). */
const LABELS_PER_LEVEL = 6;

/**
 * Draws the reduction tree: shards at the bottom (their sample counts under them), inner nodes as
 * the pairwise sums, each coloured by the worker whose local reduction adds it (ringed where that
 * worker publishes it), the top in grey: added per parameter slice by every worker, up to ḡ. With
 * `values` (same preorder as the drawing), each published and top node carries its value at the
 * chosen parameter; nodes added inside a worker's kernel are drawn hollow (never stored alone).
 * `progress` < 1 animates the step: nodes whose revealTimes are later are drawn faint, unlabelled.
 */
export function drawTree(canvas: HTMLCanvasElement, tree: TreeDrawing, values?: TreeValues, progress = 1): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  canvas.dataset.progress = String(progress);
  const { nodes } = tree;
  const times = revealTimes(tree);
  const shown = (i: number) => times[i] <= progress;
  ctx.lineWidth = 1.5;
  for (const n of nodes) {
    if (n.parent < 0) continue;
    const p = nodes[n.parent];
    ctx.globalAlpha = shown(n.parent) ? 1 : 0.2;
    ctx.strokeStyle = workerColor(p.owner);
    ctx.beginPath();
    ctx.moveTo(n.x, n.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
  ctx.font = '9px system-ui, sans-serif';
  ctx.textAlign = 'center';
  nodes.forEach((n, i) => {
    const leaf = n.hi - n.lo === 1;
    ctx.globalAlpha = shown(i) ? 1 : 0.2;
    ctx.beginPath();
    ctx.arc(n.x, n.y, leaf ? 4 : 5, 0, 2 * Math.PI);
    ctx.fillStyle = workerColor(n.owner);
    if (values?.nodes[i].kind === 'kernel') {
      ctx.fillStyle = '#fff';
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = workerColor(n.owner);
      ctx.stroke();
    } else ctx.fill();
    if (n.published) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#222';
      ctx.stroke();
    }
    if (leaf) {
      ctx.fillStyle = '#333';
      ctx.fillText(String(n.rows), n.x, n.y + 14);
    }
  });
  ctx.globalAlpha = 1;
  const root = nodes[0];
  ctx.fillStyle = '#183d5d';
  if (!values) {
    ctx.fillText(`ḡ = Σ / ${root.rows}`, root.x, root.y - 7 < 8 ? root.y + 16 : root.y - 7);
    return;
  }
  // the values of the stored sums beside their nodes, where a level has room for them
  const labelled = values.nodes.map((v, i) => (v.kind !== 'kernel' && i > 0 ? i : -1)).filter((i) => i >= 0);
  const perLevel = new Map<number, number>();
  for (const i of labelled) perLevel.set(nodes[i].y, (perLevel.get(nodes[i].y) ?? 0) + 1);
  ctx.textAlign = 'left';
  ctx.fillStyle = '#333';
  for (const i of labelled) if (shown(i) && (perLevel.get(nodes[i].y) ?? 0) <= LABELS_PER_LEVEL) ctx.fillText(shortValue(values.nodes[i].value), nodes[i].x + 7, nodes[i].y + 3);
  if (!shown(0)) return;
  ctx.fillStyle = '#183d5d';
  ctx.textAlign = 'center';
  ctx.fillText(`Σ = ${shortValue(values.root)}, ḡ = Σ / ${root.rows} = ${shortValue(values.avg)}`, root.x, root.y - 7 < 8 ? root.y + 16 : root.y - 7);
}
