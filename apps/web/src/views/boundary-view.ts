import { bindParams, createWorkspace, layerViews, type Kernels, type MLPSpec, type Workspace } from '@shardgrad/core';
import type { WebDataset } from '../data/dataset.js';
import { planeExtent } from '../data/plane-datasets.js';
import { boundaryGrid, nearestRow, pixelToPlane, planeToPixel } from './boundary-model.js';
import { divergingRgb } from './color-map.js';
import { workerColor } from './tree-view.js';

const RES = 64;

/** The decision-boundary heat map of a 2D set with its points, drawn from a parameter vector. */
export class BoundaryView {
  private readonly ws: Workspace<Float32Array>;
  private readonly probs = new Float32Array(RES * RES); // (RES, RES)
  private readonly grid: HTMLCanvasElement;
  /** local:H: a workspace bound to each replica's θ, and its grid */
  private readonly replicaWs: Workspace<Float32Array>[];
  private readonly replicaProbs = new Float32Array(RES * RES);
  /** the map covers [−extent, extent]², fitted to the data */
  readonly extent: number;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly spec: MLPSpec,
    params: Float32Array,
    private readonly kernels: Kernels,
    private readonly data: WebDataset,
    replicas: readonly Float32Array[] = [],
  ) {
    this.ws = createWorkspace(spec, RES);
    bindParams(this.ws, layerViews(params, this.ws.layout));
    this.replicaWs = replicas.map((theta) => {
      const ws = createWorkspace(spec, RES);
      bindParams(ws, layerViews(theta, ws.layout));
      return ws;
    });
    canvas.dataset.replicas = String(replicas.length);
    this.grid = document.createElement('canvas');
    this.grid.width = RES;
    this.grid.height = RES;
    this.extent = planeExtent(data);
  }

  /** The validation row nearest to a click at (px, py) in CSS pixels of the canvas. */
  validationRowAt(px: number, py: number): number {
    const r = this.canvas.getBoundingClientRect();
    const [x, y] = pixelToPlane(px, py, r.width, r.height, this.extent);
    return nearestRow(this.data.X, this.data.trainRows, this.data.rows, x, y);
  }

  /** Redraws the map and the points, ringing row `chosen` (the sample the network view follows). */
  draw(chosen: number): void {
    boundaryGrid(this.spec, this.ws, this.kernels, RES, this.probs, this.extent);
    const g = this.grid.getContext('2d');
    const ctx = this.canvas.getContext('2d');
    if (!g || !ctx) return;
    const img = g.createImageData(RES, RES);
    for (let i = 0; i < RES * RES; i++) {
      // P(class 1) 0 → orange, 0.5 → white, 1 → blue, softened so the points stay visible
      divergingRgb(0.7 * (2 * this.probs[i] - 1), img.data, 4 * i);
      img.data[4 * i + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    const { width: w, height: h } = this.canvas;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.grid, 0, 0, w, h);
    this.replicaWs.forEach((ws, r) => {
      boundaryGrid(this.spec, ws, this.kernels, RES, this.replicaProbs, this.extent);
      drawContour(ctx, this.replicaProbs, w, h, workerColor(r));
    });
    const { X, Y, rows, trainRows } = this.data;
    for (let i = 0; i < rows; i++) {
      const [px, py] = planeToPixel(X[2 * i], X[2 * i + 1], w, h, this.extent);
      const c = [0, 0, 0];
      divergingRgb(Y[2 * i + 1] > 0.5 ? 1 : -1, c);
      ctx.beginPath();
      ctx.arc(px, py, 2.6, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
      ctx.fill();
      ctx.lineWidth = i < trainRows ? 0.6 : 1.4;
      ctx.strokeStyle = i < trainRows ? '#fff' : '#222';
      ctx.stroke();
    }
    const [cx, cy] = planeToPixel(X[2 * chosen], X[2 * chosen + 1], w, h, this.extent);
    ctx.beginPath();
    ctx.arc(cx, cy, 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2;
    ctx.strokeStyle = '#d0021b';
    ctx.stroke();
  }
}

/**
 * The P = 0.5 line of a RES × RES grid, faintly: a short stroke at each cell edge where the class
 * flips (between the two cells' centres, where the probability crosses 0.5 linearly).
 */
function drawContour(ctx: CanvasRenderingContext2D, probs: Float32Array, w: number, h: number, color: string): void {
  const sx = w / RES;
  const sy = h / RES;
  ctx.save();
  ctx.globalAlpha = 0.55;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let r = 0; r < RES; r++)
    for (let c = 0; c < RES; c++) {
      const p = probs[r * RES + c] - 0.5;
      if (c + 1 < RES) {
        const q = probs[r * RES + c + 1] - 0.5;
        if (p < 0 !== q < 0) {
          const x = (c + 0.5 + p / (p - q)) * sx;
          ctx.moveTo(x, r * sy);
          ctx.lineTo(x, (r + 1) * sy);
        }
      }
      if (r + 1 < RES) {
        const q = probs[(r + 1) * RES + c] - 0.5;
        if (p < 0 !== q < 0) {
          const y = (r + 0.5 + p / (p - q)) * sy;
          ctx.moveTo(c * sx, y);
          ctx.lineTo((c + 1) * sx, y);
        }
      }
    }
  ctx.stroke();
  ctx.restore();
}
