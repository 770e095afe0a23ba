import { forward, type Kernels, type MLPSpec, type Workspace } from '@shardgrad/core';

/** The square of the input plane the boundary map covers: [−extent, extent]². */
export const PLANE_EXTENT = 1.5;

/**
 * The decision boundary as numbers: out[r·res + c] = P(class 1) of the network bound to `ws` at
 * the centre of grid cell (row r, column c) of a res × res grid over [−extent, extent]²; row 0 is
 * the top (largest y). `ws` must hold res rows (its capacity); the forward pass is core's.
 */
export function boundaryGrid(spec: MLPSpec, ws: Workspace<Float32Array>, kernels: Kernels, res: number, out: Float32Array, extent = PLANE_EXTENT): void {
  const step = (2 * extent) / res;
  const nL = spec.sizes[spec.sizes.length - 1];
  for (let r = 0; r < res; r++) {
    const y = extent - (r + 0.5) * step;
    for (let c = 0; c < res; c++) {
      ws.x[2 * c] = -extent + (c + 0.5) * step;
      ws.x[2 * c + 1] = y;
    }
    const yHat = forward(spec, ws, res, kernels); // (res, nL)
    for (let c = 0; c < res; c++) out[r * res + c] = yHat[c * nL + 1];
  }
}

/** Canvas pixel (px, py) of a w × h canvas for plane point (x, y). */
export function planeToPixel(x: number, y: number, w: number, h: number, extent = PLANE_EXTENT): [number, number] {
  return [((x + extent) / (2 * extent)) * w, ((extent - y) / (2 * extent)) * h];
}

/** Plane point (x, y) under canvas pixel (px, py) of a w × h canvas (the inverse of planeToPixel). */
export function pixelToPlane(px: number, py: number, w: number, h: number, extent = PLANE_EXTENT): [number, number] {
  return [(px / w) * 2 * extent - extent, extent - (py / h) * 2 * extent];
}

/** The row in [from, to) of X (N, 2) nearest to (x, y); the first of equally near rows. */
export function nearestRow(X: Float32Array, from: number, to: number, x: number, y: number): number {
  let best = from;
  let bestD = Infinity;
  for (let i = from; i < to; i++) {
    const d = (X[2 * i] - x) ** 2 + (X[2 * i + 1] - y) ** 2;
    if (d < bestD) ((bestD = d), (best = i));
  }
  return best;
}
