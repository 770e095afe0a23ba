import type { FloatArray, Kernels } from '../kernels/kernels.js';
import { classCount, ConfusionMatrix } from '../metrics/metrics.js';
import { forward, gatherRows, lossSum } from './backprop.js';
import type { MLPSpec } from './spec.js';
import type { Workspace } from './workspace.js';

export interface Evaluation {
  /** mean loss over the rows */
  readonly loss: number;
  readonly accuracy: number;
  readonly confusion: ConfusionMatrix;
  readonly rows: number;
}

/**
 * Mean loss, accuracy and confusion matrix of the model bound to `ws` on rows indices[0..count)
 * of X / Y, in chunks of ws.capacity rows.
 */
export function evaluate<T extends FloatArray>(
  spec: MLPSpec,
  ws: Workspace<T>,
  X: FloatArray,
  Y: FloatArray,
  indices: ArrayLike<number>,
  count: number,
  kernels: Kernels,
): Evaluation {
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  const confusion = new ConfusionMatrix(classCount(nL));
  let loss = 0;
  for (let c = 0; c < count; c += ws.capacity) {
    const rows = Math.min(ws.capacity, count - c);
    gatherRows(ws, X, Y, indices, c, rows, n0, nL, kernels);
    const out = forward(spec, ws, rows, kernels);
    loss += lossSum(spec, ws, rows);
    confusion.addRows(out, ws.t, rows, nL);
  }
  return { loss: count ? loss / count : 0, accuracy: confusion.accuracy, confusion, rows: count };
}
