import { referenceKernels } from '../kernels/reference.js';
import { accumulateGradient, forward, lossSum } from '../model/backprop.js';
import { specLayout } from '../model/layout.js';
import type { MLPSpec } from '../model/spec.js';
import { bindWorkspace, createWorkspace64 } from '../model/workspace.js';

export interface GradcheckLayer {
  readonly layer: number;
  /** largest relative error over W^l and the skip blocks W^{k→l+1} into the same layer */
  readonly weights: number;
  /** largest relative error over b^l */
  readonly biases: number;
}

export interface GradcheckResult {
  readonly maxRelativeError: number;
  readonly layers: readonly GradcheckLayer[];
  /** the analytic (backprop) gradient of the mean loss, float64 */
  readonly analytic: Float64Array;
  /** the central-difference gradient, float64 */
  readonly numeric: Float64Array;
}

/**
 * Compares backprop's gradient of the mean loss over `rows` samples with central finite
 * differences, the lecture's limit definition f'(θ) ≈ (f(θ+h) − f(θ−h)) / 2h, all in float64.
 * Relative error per parameter: |a − n| / max(|a|, |n|, floor); the floor keeps parameters whose
 * gradient is ~0 (a dead ReLU, say) from dividing rounding noise by nothing.
 */
export function gradcheck(
  spec: MLPSpec,
  params: Float64Array,
  X: Float64Array,
  T: Float64Array,
  rows: number,
  { h = 1e-5, floor = 1e-7 }: { h?: number; floor?: number } = {},
): GradcheckResult {
  const layout = specLayout(spec);
  const P = layout.total;
  const theta = Float64Array.from(params);
  const analytic = new Float64Array(P);
  const ws = createWorkspace64(spec, rows);
  bindWorkspace(ws, theta, analytic);
  const idx = Array.from({ length: rows }, (_, i) => i);
  accumulateGradient(spec, ws, X, T, idx, 0, rows, referenceKernels);
  for (let i = 0; i < P; i++) analytic[i] /= rows;

  const meanLoss = () => {
    ws.x.set(X.subarray(0, rows * spec.sizes[0]));
    ws.t.set(T.subarray(0, rows * spec.sizes[spec.sizes.length - 1]));
    forward(spec, ws, rows, referenceKernels);
    return lossSum(spec, ws, rows) / rows;
  };
  const numeric = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    const keep = theta[i];
    theta[i] = keep + h;
    const up = meanLoss();
    theta[i] = keep - h;
    const down = meanLoss();
    theta[i] = keep;
    numeric[i] = (up - down) / (2 * h);
  }
  const rel = (i: number) => Math.abs(analytic[i] - numeric[i]) / Math.max(Math.abs(analytic[i]), Math.abs(numeric[i]), floor);
  const layers = layout.layers.map((s, l) => {
    let w = 0;
    let b = 0;
    for (let i = s.w; i < s.b; i++) w = Math.max(w, rel(i));
    for (let i = s.b; i < s.b + s.nOut; i++) b = Math.max(b, rel(i));
    return { layer: l, weights: w, biases: b };
  });
  const maxRelativeError = layers.reduce((m, l) => Math.max(m, l.weights, l.biases), 0);
  return { maxRelativeError, layers, analytic, numeric };
}
