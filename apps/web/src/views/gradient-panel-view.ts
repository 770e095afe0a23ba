import { maxAbs } from './color-map.js';
import type { GradientPanel } from './gradient-panel-model.js';
import { drawMatrix } from './heatmap-view.js';
import { signedLegend } from './legend-model.js';
import { drawLegend } from './legend-view.js';
import { imageSide, receptiveFields } from './receptive-field-model.js';

/** Units per receptive-field mosaic (4 × 4 tiles of 28 × 28 for MNIST). */
export const MOSAIC_UNITS = 16;
const MOSAIC_ACROSS = 4;

/**
 * The averaging made visible: one card per worker (its mean shard gradient of the chosen layer,
 * its shards and share n_w / B), then their size-weighted average, then the update Δθ, each with
 * its colour legend. A layer fed by an image (MNIST's 784 = 28 × 28 inputs) is drawn as the
 * receptive fields of `units` (one 28 × 28 tile per hidden unit) instead of a 784-row matrix.
 */
export class GradientPanelView {
  private cards: { root: HTMLElement; canvas: HTMLCanvasElement; label: HTMLElement; legend: HTMLElement }[] = [];
  private key = '';

  constructor(private readonly root: HTMLElement, private readonly caption: HTMLElement) {}

  draw(panel: GradientPanel, firstUnit = 0): void {
    const key = `${panel.workers.length}/${panel.layer}`;
    if (key !== this.key) this.build(panel.workers.length, key);
    const side = imageSide(panel.rows);
    const units = Array.from({ length: Math.min(MOSAIC_UNITS, panel.cols - firstUnit) }, (_, k) => firstUnit + k);
    const show = (canvas: HTMLCanvasElement, m: Float32Array, scale: number) => {
      if (!side) return drawMatrix(canvas, m, panel.rows, panel.cols, scale);
      const mosaic = receptiveFields(m, panel.rows, panel.cols, units, MOSAIC_ACROSS);
      drawMatrix(canvas, mosaic.values, mosaic.rows, mosaic.cols, scale);
    };
    const gScale = maxAbs([panel.average, ...panel.workers.map((w) => w.mean)]);
    panel.workers.forEach((w, i) => {
      const card = this.cards[i];
      show(card.canvas, w.mean, gScale);
      const shards = w.shards.length ? `shards ${w.shards[0]}–${w.shards[w.shards.length - 1]}` : 'no shards';
      card.label.textContent = `worker ${w.worker}: ${shards}, ${w.samples} samples, weight ${w.weight.toFixed(3)}`;
      drawLegend(card.legend, signedLegend('mean gradient', gScale));
    });
    const avg = this.cards[panel.workers.length];
    show(avg.canvas, panel.average, gScale);
    avg.label.textContent = `average Σ (n_w/B)·g_w = ḡ (B = ${panel.batchSize}; |Σ − ḡ| ≤ ${panel.deviation.toExponential(1)})`;
    drawLegend(avg.legend, signedLegend('ḡ', gScale));
    const upd = this.cards[panel.workers.length + 1];
    const uScale = maxAbs([panel.update]);
    show(upd.canvas, panel.update, uScale);
    upd.label.textContent = `update Δθ at step ${panel.t} (own colour scale)`;
    drawLegend(upd.legend, signedLegend('Δθ', uScale));
    this.root.dataset.step = String(panel.t);
    const what = side
      ? `the weights into units ${units[0]}–${units[units.length - 1]} as ${side} × ${side} receptive fields (one tile per unit, row by row)`
      : `W is ${panel.rows} × ${panel.cols} (rows: inputs, columns: units)`;
    this.caption.textContent = `step ${panel.t}, layer ${panel.layer + 1}: ${what}; orange negative, blue positive`;
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
      const legend = document.createElement('div');
      const label = document.createElement('figcaption');
      root.append(canvas, legend, label);
      this.root.append(root);
      this.cards.push({ root, canvas, label, legend });
    }
    this.key = key;
  }
}
