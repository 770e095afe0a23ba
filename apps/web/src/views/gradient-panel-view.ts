import { maxAbs } from './color-map.js';
import type { GradientPanel } from './gradient-panel-model.js';
import { drawMatrix } from './heatmap-view.js';

/**
 * The averaging made visible: one card per worker (its mean shard gradient of the chosen layer,
 * its shards and share n_w / B), then their size-weighted average, then the update Δθ.
 */
export class GradientPanelView {
  private cards: { root: HTMLElement; canvas: HTMLCanvasElement; label: HTMLElement }[] = [];
  private key = '';

  constructor(private readonly root: HTMLElement, private readonly caption: HTMLElement) {}

  draw(panel: GradientPanel): void {
    const key = `${panel.workers.length}/${panel.layer}`;
    if (key !== this.key) this.build(panel.workers.length, key);
    const gScale = maxAbs([panel.average, ...panel.workers.map((w) => w.mean)]);
    panel.workers.forEach((w, i) => {
      const card = this.cards[i];
      drawMatrix(card.canvas, w.mean, panel.rows, panel.cols, gScale);
      const shards = w.shards.length ? `shards ${w.shards[0]}–${w.shards[w.shards.length - 1]}` : 'no shards';
      card.label.textContent = `worker ${w.worker}: ${shards}, ${w.samples} samples, weight ${w.weight.toFixed(3)}`;
    });
    const avg = this.cards[panel.workers.length];
    drawMatrix(avg.canvas, panel.average, panel.rows, panel.cols, gScale);
    avg.label.textContent = `average Σ (n_w/B)·g_w = ḡ (B = ${panel.batchSize}; |Σ − ḡ| ≤ ${panel.deviation.toExponential(1)})`;
    const upd = this.cards[panel.workers.length + 1];
    drawMatrix(upd.canvas, panel.update, panel.rows, panel.cols, maxAbs([panel.update]));
    upd.label.textContent = `update Δθ at step ${panel.t} (own colour scale)`;
    this.caption.textContent = `layer ${panel.layer + 1}: W is ${panel.rows} × ${panel.cols}; colour scale ±${gScale.toExponential(2)}`;
  }

  private build(W: number, key: string): void {
    this.root.replaceChildren();
    this.cards = [];
    const roles = [...Array.from({ length: W }, () => 'worker'), 'average', 'update'];
    for (const role of roles) {
      const root = document.createElement('figure');
      root.className = `grad-card grad-${role}`;
      root.dataset.role = role;
      const canvas = document.createElement('canvas');
      const label = document.createElement('figcaption');
      root.append(canvas, label);
      this.root.append(root);
      this.cards.push({ root, canvas, label });
    }
    this.key = key;
  }
}
