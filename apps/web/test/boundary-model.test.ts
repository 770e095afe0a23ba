import { createWorkspace, layerViews, bindParams, mlpSpec, referenceKernels } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { boundaryGrid, nearestRow, pixelToPlane, planeToPixel } from '../src/views/boundary-model.js';

// A 2 → 2 softmax network with v = (0, w·input): P(class 1) = σ(w·input).
// Grid res 4 over [−1.5, 1.5]²: cell centres −1.125, −0.375, 0.375, 1.125 (x left to right, y top to bottom reversed).
// σ of those (python: 1/(1+exp(-x))): 0.24509, 0.40733, 0.59267, 0.75491.
const SIG = [0.24509, 0.40733, 0.59267, 0.75491];

function grid(weightIndex: number): Float32Array {
  const spec = mlpSpec([2, 2], 'identity', 'softmax', 'ce');
  const ws = createWorkspace(spec, 4);
  const params = new Float32Array(6); // W⁰ (2×2) then b⁰ (2)
  params[weightIndex] = 1;
  bindParams(ws, layerViews(params, ws.layout));
  const out = new Float32Array(16);
  boundaryGrid(spec, ws, referenceKernels, 4, out);
  return out;
}

describe('decision boundary grid', () => {
  it('follows x along each row (W[0][1] = 1: v₁ = x)', () => {
    const g = grid(1);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(g[r * 4 + c]).toBeCloseTo(SIG[c], 4);
  });

  it('puts the largest y in the top row (W[1][1] = 1: v₁ = y)', () => {
    const g = grid(3);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(g[r * 4 + c]).toBeCloseTo(SIG[3 - r], 4);
  });

  it('maps plane corners to canvas corners', () => {
    expect(planeToPixel(-1.5, 1.5, 320, 320)).toEqual([0, 0]);
    expect(planeToPixel(1.5, -1.5, 320, 320)).toEqual([320, 320]);
    expect(planeToPixel(0, 0, 320, 320)).toEqual([160, 160]);
    expect(pixelToPlane(0, 0, 320, 320)).toEqual([-1.5, 1.5]);
    expect(pixelToPlane(240, 80, 320, 320)).toEqual([0.75, 0.75]);
  });

  it('finds the nearest row within a range', () => {
    const X = Float32Array.from([0, 0, 1, 1, -1, 1, 0.9, 0.8]); // rows 0..3
    expect(nearestRow(X, 1, 4, 0.95, 0.85)).toBe(3); // row 3 at distance 0.07, row 1 at 0.16
    expect(nearestRow(X, 1, 4, -2, 2)).toBe(2);
    expect(nearestRow(X, 1, 3, 0.95, 0.85)).toBe(1); // row 3 outside the range
  });
});
