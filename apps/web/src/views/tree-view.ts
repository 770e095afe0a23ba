import type { TreeDrawing } from './tree-model.js';

/** Categorical colours of workers 0, 1, … (repeating); grey for the top of the tree. */
export const WORKER_COLORS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
const TOP = '#9aa3ab';

export const workerColor = (w: number): string => (w < 0 ? TOP : WORKER_COLORS[w % WORKER_COLORS.length]);

/**
 * Draws the reduction tree: shards at the bottom (their sample counts under them), inner nodes as
 * the pairwise sums, each coloured by the worker whose local reduction adds it (ringed where that
 * worker publishes it), the top in grey: added per parameter slice by every worker, up to ḡ.
 */
export function drawTree(canvas: HTMLCanvasElement, tree: TreeDrawing): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const { nodes } = tree;
  ctx.lineWidth = 1.5;
  for (const n of nodes) {
    if (n.parent < 0) continue;
    const p = nodes[n.parent];
    ctx.strokeStyle = workerColor(p.owner);
    ctx.beginPath();
    ctx.moveTo(n.x, n.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
  ctx.font = '9px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const n of nodes) {
    const leaf = n.hi - n.lo === 1;
    ctx.beginPath();
    ctx.arc(n.x, n.y, leaf ? 4 : 5, 0, 2 * Math.PI);
    ctx.fillStyle = workerColor(n.owner);
    ctx.fill();
    if (n.published) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#222';
      ctx.stroke();
    }
    if (leaf) {
      ctx.fillStyle = '#333';
      ctx.fillText(String(n.rows), n.x, n.y + 14);
    }
  }
  const root = nodes[0];
  ctx.fillStyle = '#183d5d';
  ctx.fillText(`ḡ = Σ / ${root.rows}`, root.x, root.y - 7 < 8 ? root.y + 16 : root.y - 7);
}
