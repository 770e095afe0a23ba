import type { TreeDrawing } from './tree-model.js';
import type { TreeValues } from './tree-values-model.js';
import { workerColor } from './tree-view.js';

const shards = (lo: number, hi: number) => (hi - lo === 1 ? `shard ${lo}` : `shards ${lo}–${hi - 1}`);

/**
 * The stored sums of the tree at the chosen parameter, one table row each (published nodes, the top,
 * the root), every digit of the float32 value: what the canvas labels in short. Each row carries
 * data-lo, data-hi, data-kind and data-value (the value, exactly) for tests and for copying.
 */
export function drawTreeValues(table: HTMLTableElement, tree: TreeDrawing, values: TreeValues, B: number): void {
  const rows: HTMLTableRowElement[] = [];
  const row = (cells: string[], color: string, data: Record<string, string>) => {
    const tr = document.createElement('tr');
    for (const c of cells) tr.insertCell().textContent = c;
    tr.style.setProperty('--c', color);
    Object.assign(tr.dataset, data);
    rows.push(tr);
  };
  let inKernel = 0;
  values.nodes.forEach((v, i) => {
    const n = tree.nodes[i];
    if (v.kind === 'kernel') return void inKernel++;
    const who = v.kind === 'published' ? `worker ${n.owner} publishes` : i === 0 ? 'root (per slice)' : 'top (per slice)';
    row([shards(v.lo, v.hi), `${n.rows}`, who, String(v.value)], workerColor(v.kind === 'published' ? n.owner : -1), {
      lo: String(v.lo),
      hi: String(v.hi),
      kind: i === 0 ? 'root' : v.kind,
      value: String(v.value),
    });
  });
  row(['ḡ = Σ / B', `${B}`, 'stored in memory', String(values.avg)], '#183d5d', { kind: 'avg', value: String(values.avg) });
  const head = document.createElement('tr');
  for (const h of ['node', 'rows', 'added by', 'value']) head.appendChild(document.createElement('th')).textContent = h;
  table.replaceChildren(head, ...rows);
  table.dataset.param = String(values.param);
  table.createCaption().textContent =
    `${inKernel} more nodes (hollow: the shards and their sums inside each worker's published ones) are added in the gradient kernel, ` +
    'in registers, and never stored on their own.';
}
