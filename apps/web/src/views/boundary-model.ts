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
