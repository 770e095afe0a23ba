import { activation_backward, activation_forward } from '../activations/activations.js';
import { gemmAccumulate, gemmNTAccumulate, gemmTNAccumulateWeights } from '../kernels/accumulate.js';
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import { mse_backward, mse_sum, softmax_cross_entropy_backward, softmax_cross_entropy_sum } from '../losses/losses.js';
import type { MLPSpec } from './spec.js';
import type { Workspace } from './workspace.js';

/**
 * Forward pass over the first `rows` rows of ws.x, layer by layer: v = yW + b, y = g(v); a layer
 * with skip connections sums every incoming block first, v^l = Σ_k y^k·W^{k→l} + b^l, then y = g(v).
 * Returns the output activations ŷ (a view of ws.y[L−1], (R, n_L)).
 */
export function forward<T extends FloatArray>(spec: MLPSpec, ws: Workspace<T>, rows: number, kernels: Kernels): T {
  const { layers, skips, skipsInto } = ws.layout;
  let input: T = ws.x; // y⁰ = x
  for (let l = 0; l < layers.length; l++) {
    const { nIn, nOut } = layers[l];
    const into = skipsInto[l];
    if (into.length > 0) {
      kernels.gemmBias(ws.v[l], input, ws.W[l], ws.b[l], rows, nIn, nOut); // v = y^{l}·W^{l} + b: (rows, nOut)
      for (let i = 0; i < into.length; i++) {
        const s = into[i];
        const from = skips[s].from;
        gemmAccumulate(kernels, ws.v[l], from === 0 ? ws.x : ws.y[from - 1], ws.Ws[s], rows, skips[s].nIn, nOut); // v += y^k·W^{k→l}
      }
      activation_forward(spec.activations[l], ws.y[l], ws.v[l], rows, nOut); // g after every block is summed
    } else if (!kernels.denseForward?.(ws.v[l], ws.y[l], input, ws.W[l], ws.b[l], rows, nIn, nOut, spec.activations[l])) {
      // a kernel may fuse v = yW + b with y = g(v); otherwise the two steps below
      kernels.gemmBias(ws.v[l], input, ws.W[l], ws.b[l], rows, nIn, nOut); // v: (rows, nOut)
      activation_forward(spec.activations[l], ws.y[l], ws.v[l], rows, nOut); // y: (rows, nOut)
    }
    input = ws.y[l];
  }
  return input;
}

/** Σ over the rows of the per-sample loss, after forward (targets in ws.t). */
export function lossSum<T extends FloatArray>(spec: MLPSpec, ws: Workspace<T>, rows: number): number {
  const L = ws.layout.layers.length;
  const n = ws.layout.layers[L - 1].nOut;
  return spec.loss === 'ce' ? softmax_cross_entropy_sum(ws.v[L - 1], ws.t, rows, n) : mse_sum(ws.y[L - 1], ws.t, rows, n);
}

/**
 * Where backward puts each layer's weight gradient (yᵀ·dv, Σ dv over the rows). The default adds it
 * to ws.dW / ws.db; the engine's worker instead stores each virtual shard's rows as a leaf of the
 * reduction tree. `layer` is called once per layer, from the output layer down, before ∂L/∂v of the
 * layer below; right after it, `skip` once per skip block s into that layer (layout.skips[s], which
 * has no bias: yᵀ·dv only), in layout order.
 */
export interface GradientSink<T extends FloatArray> {
  layer(l: number, below: T, dv: T, rows: number): void;
  skip(s: number, below: T, dv: T, rows: number): void;
}

/**
 * Backward pass after forward: the chain rule ∂L/∂W^l = (y^l)ᵀ · (∂L/∂y^{l+1} ⊙ g'(v^{l+1})),
 * *accumulated* (+=) into the gradient views ws.dW / ws.db / ws.dWs as a sum over the rows (not a
 * mean), or handed to `sink` block by block. With skip connections ∂L/∂y^k sums dv^l·(W^{k→l})ᵀ over
 * every layer l that k feeds before g'(v^k) is applied; going down from the output, every such dv^l
 * is complete when layer k is reached.
 */
export function backward<T extends FloatArray>(spec: MLPSpec, ws: Workspace<T>, rows: number, kernels: Kernels, sink?: GradientSink<T>): void {
  const { layers, skips, skipsInto, skipsFrom } = ws.layout;
  const L = layers.length;
  const nOut = layers[L - 1].nOut;
  // Output layer: ∂L/∂v directly for softmax+CE; otherwise ∂L/∂ŷ then ⊙ g'(v).
  if (spec.loss === 'ce') {
    softmax_cross_entropy_backward(ws.dv[L - 1], ws.y[L - 1], ws.t, rows, nOut);
  } else {
    mse_backward(ws.dy[L - 1], ws.y[L - 1], ws.t, rows, nOut);
    activation_backward(spec.activations[L - 1], ws.dv[L - 1], ws.dy[L - 1], ws.v[L - 1], ws.y[L - 1], rows * nOut);
  }
  for (let l = L - 1; l >= 0; l--) {
    const { nIn, nOut: n } = layers[l];
    const below: T = l === 0 ? ws.x : ws.y[l - 1]; // y^l: (rows, nIn)
    if (sink) sink.layer(l, below, ws.dv[l], rows);
    else kernels.gemmTNAcc(ws.dW[l], ws.db[l], below, ws.dv[l], rows, nIn, n); // dW += yᵀ·dv, db += Σ dv
    const into = skipsInto[l];
    for (let i = 0; i < into.length; i++) {
      const s = into[i];
      const { from, nIn: k } = skips[s];
      const y: T = from === 0 ? ws.x : ws.y[from - 1]; // y^k: (rows, n_k)
      if (sink) sink.skip(s, y, ws.dv[l], rows);
      else gemmTNAccumulateWeights(ws.dWs[s], y, ws.dv[l], rows, k, n); // dW^{k→l} += (y^k)ᵀ·dv^l
    }
    if (l === 0) continue;
    const out = skipsFrom[l]; // skip blocks out of node layer l (its y is ws.y[l − 1])
    if (out.length > 0) {
      kernels.gemmNT(ws.dy[l - 1], ws.dv[l], ws.W[l], rows, n, nIn); // ∂L/∂y^l = dv·Wᵀ …
      for (let i = 0; i < out.length; i++) {
        const s = out[i];
        gemmNTAccumulate(kernels, ws.dy[l - 1], ws.dv[skips[s].to - 1], ws.Ws[s], rows, skips[s].nOut, nIn); // … + dv^t·(W^{l→t})ᵀ
      }
      activation_backward(spec.activations[l - 1], ws.dv[l - 1], ws.dy[l - 1], ws.v[l - 1], ws.y[l - 1], rows * nIn);
    } else if (!kernels.denseBackwardInput?.(ws.dv[l - 1], ws.dv[l], ws.W[l], ws.v[l - 1], rows, n, nIn, spec.activations[l - 1])) {
      // a kernel may fuse dv below = (dv·Wᵀ) ⊙ g'(v below), skipping ∂L/∂y; otherwise the two steps
      kernels.gemmNT(ws.dy[l - 1], ws.dv[l], ws.W[l], rows, n, nIn); // ∂L/∂y below = dv·Wᵀ
      activation_backward(spec.activations[l - 1], ws.dv[l - 1], ws.dy[l - 1], ws.v[l - 1], ws.y[l - 1], rows * nIn);
    }
  }
}

/**
 * Copies dataset rows indices[from .. from+rows) of X (N, n₀) and Y (N, n_L) into ws.x and ws.t:
 * through `kernels.gatherRows` where it has one (the native kernels: a memcpy a row, 2× faster),
 * else plain loops, not subarray().set(): a view object per row would allocate in the hot path; the
 * input rows four floats an iteration (25 % faster in V8 than one).
 */
export function gatherRows<T extends FloatArray>(
  ws: Workspace<T>,
  X: FloatArray,
  Y: FloatArray,
  indices: ArrayLike<number>,
  from: number,
  rows: number,
  n0: number,
  nL: number,
  kernels?: Kernels,
): void {
  if (kernels?.gatherRows?.(ws.x, ws.t, X, Y, indices, from, rows, n0, nL)) return;
  const { x, t } = ws;
  for (let r = 0; r < rows; r++) {
    const s = indices[from + r];
    let src = s * n0;
    let dst = r * n0;
    const end = src + n0;
    for (; src + 4 <= end; src += 4, dst += 4) {
      x[dst] = X[src];
      x[dst + 1] = X[src + 1];
      x[dst + 2] = X[src + 2];
      x[dst + 3] = X[src + 3];
    }
    for (; src < end; src++, dst++) x[dst] = X[src];
    for (let j = 0, srcY = s * nL, dstY = r * nL; j < nL; j++) t[dstY + j] = Y[srcY + j];
  }
}

/**
 * Copies the rows `indices[start..end)` of X (N, n₀) and Y (N, n_L) into ws.x / ws.t, chunk by
 * chunk of at most ws.capacity rows, runs forward + backward on each chunk and accumulates the
 * summed gradient into the bound gradient vector. Returns Σ loss over those samples.
 * The chunking depends only on (start, end, capacity), so the float summation order is the same
 * whichever worker computes the shard.
 */
export function accumulateGradient<T extends FloatArray>(
  spec: MLPSpec,
  ws: Workspace<T>,
  X: FloatArray,
  Y: FloatArray,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  kernels: Kernels,
): number {
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  let loss = 0;
  for (let c = start; c < end; c += ws.capacity) {
    const rows = Math.min(ws.capacity, end - c);
    gatherRows(ws, X, Y, indices, c, rows, n0, nL, kernels);
    forward(spec, ws, rows, kernels);
    loss += lossSum(spec, ws, rows);
    backward(spec, ws, rows, kernels);
  }
  return loss;
}
