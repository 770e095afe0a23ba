/**
 * One interface for the matrix products of backprop, with a `reference` implementation (plain
 * loops, the test oracle) and fast ones. All matrices are row-major; every product writes into a
 * preallocated output, so a training step allocates nothing.
 *
 * Shape letters: m = rows (samples), k = inputs of a layer, n = outputs of a layer.
 */
import type { OptimizerConfig, OptimizerUpdate } from '../optim/optimizers.js';
import type { FloatArray } from './float-array.js';

export type { FloatArray } from './float-array.js';

/**
 * One slice pass of a step (Kernels.finishUpdate, finishSlice), as one record: r = root (+ other),
 * ḡ = r·inv into avg, then the optimizer reading θ and its state from theta / state and writing
 * them to thetaOut / stateOut (the same arrays for an update in place; other arrays, e.g. to
 * double-buffer θ). A caller keeps one record and sets the per-step fields before each call, so a
 * step allocates nothing.
 */
export interface SliceUpdate extends OptimizerUpdate {
  optimizer: OptimizerConfig;
  root: FloatArray;
  /** the root's own last add of the tree, or undefined */
  other: FloatArray | undefined;
  /** where ḡ goes; may be root itself */
  avg: FloatArray;
  theta: FloatArray;
  /** stateSlots × P floats (empty for an optimizer without state) */
  state: FloatArray;
  thetaOut: FloatArray;
  stateOut: FloatArray;
  /** the full parameter count: the stride between state slots */
  P: number;
  p0: number;
  p1: number;
  /** 1/B */
  inv: number;
  lr: number;
  /** the 1-based step count */
  t: number;
}

/** A slice-update record for in-place updates of theta and state; the caller sets p0, p1, inv, lr and t per call. */
export function sliceUpdate(
  optimizer: OptimizerConfig,
  arrays: { root: FloatArray; other?: FloatArray; avg: FloatArray; theta: FloatArray; state: FloatArray; thetaOut?: FloatArray; stateOut?: FloatArray },
  P: number,
): SliceUpdate {
  const { root, other, avg, theta, state } = arrays;
  return { optimizer, root, other, avg, theta, state, thetaOut: arrays.thetaOut ?? theta, stateOut: arrays.stateOut ?? state, P, p0: 0, p1: P, inv: 1, lr: 0, t: 1 };
}

/** An activation name, as in activations.ts (kept as a string here so kernels import no layer code). */
type ActivationName = string;

export interface Kernels {
  readonly name: string;
  /** v(m,n) = y(m,k)·W(k,n) + b(n): the lecture's v = yW + b for a batch of rows. */
  gemmBias(v: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number): void;
  /** dy(m,k) = dv(m,n)·W(k,n)ᵀ: the gradient flowing to the layer below. */
  gemmNT(dy: FloatArray, dv: FloatArray, W: FloatArray, m: number, n: number, k: number): void;
  /** dW(k,n) += y(m,k)ᵀ·dv(m,n) and db(n) += Σ_rows dv: the weight and bias gradients, accumulated. */
  gemmTNAcc(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number): void;
  /**
   * Optional, for connections that skip layers: v(m,n) += y(m,k)·W(k,n), each element's terms added
   * onto v in p order. Returns false, having written nothing, where it cannot: the caller then runs
   * the plain loops of kernels/accumulate.ts, which define what it must compute.
   */
  gemmAcc?(v: FloatArray, y: FloatArray, W: FloatArray, m: number, k: number, n: number): boolean;
  /**
   * Optional, for connections that skip layers: dy(m,k) += dv(m,n)·W(k,n)ᵀ (the dot product summed
   * from zero, then added onto dy). Returns false, having written nothing, where it cannot.
   */
  gemmNTAcc?(dy: FloatArray, dv: FloatArray, W: FloatArray, m: number, n: number, k: number): boolean;
  /**
   * Optional fusion of a layer's forward: v(m,n) = y·W + b and out(m,n) = g(v). Returns false, having
   * written nothing, where it does not fuse `act` (or these arrays): the caller then runs gemmBias
   * and activation_forward, which define what it must compute.
   */
  denseForward?(v: FloatArray, out: FloatArray, y: FloatArray, W: FloatArray, b: FloatArray, m: number, k: number, n: number, act: ActivationName): boolean;
  /**
   * Optional fusion of the gradient to the layer below: dvBelow(m,k) = (dv(m,n)·W(k,n)ᵀ) ⊙ g'(vBelow),
   * without writing ∂L/∂y. Returns false, having written nothing, where it does not fuse `act`:
   * the caller then runs gemmNT and activation_backward.
   */
  denseBackwardInput?(dvBelow: FloatArray, dv: FloatArray, W: FloatArray, vBelow: FloatArray, m: number, n: number, k: number, act: ActivationName): boolean;
  /**
   * Optional: x(r, ·) = X(order[from + r], ·) and t(r, ·) = Y(order[from + r], ·) for r < rows (a
   * batch's rows copied into the workspace, X: (N, n0), Y: (N, nL)). Returns false, having written
   * nothing, where it cannot.
   */
  gatherRows?(x: FloatArray, t: FloatArray, X: FloatArray, Y: FloatArray, order: ArrayLike<number>, from: number, rows: number, n0: number, nL: number): boolean;
  /**
   * Optional: the live noise estimate's partials of blocks [b0, b1) from the root's two halves —
   * the same bits as core's noiseHalvesPartials (whose order it follows). Returns false, having
   * written nothing, where it cannot.
   */
  noiseHalves?(a: FloatArray, b: FloatArray, rowsA: number, rowsB: number, P: number, b0: number, b1: number, partials: Float64Array): boolean;

  /**
   * Optional: one leaf of the reduction tree (docs/design.md). dW(k,n) = yᵀ·dv and db(n) = Σ_rows dv,
   * each element summed from zero over the m rows in order, then, for each pending buffer of
   * pendW / pendB in turn (innermost level first), s = pending + s (float32 adds); the result is
   * stored in dW / db, which may themselves be the last pending buffers. Returns false, having
   * written nothing, where it cannot (the engine then computes the leaf with gemmTNAcc into scratch
   * and adds the levels itself — the same bits).
   */
  gemmTNTree?(dW: FloatArray, db: FloatArray, y: FloatArray, dv: FloatArray, m: number, k: number, n: number, pendW: readonly FloatArray[], pendB: readonly FloatArray[]): boolean;
  /**
   * Optional: every leaf of a worker's subtree for one layer in one call — gemmTNTree for each leaf
   * in turn, with the same bits. dW0 / db0: the layer's blocks in the worker's slot 0 (slot s lies
   * slotStride bytes further on); y (rows, k) and dv (rows, n): all the worker's rows, the leaves'
   * rows one after the other; plan: i32 words nGroups, nSlots, per group (rowsL, rowsR) — two
   * sibling leaves, their node fl(left + right) — or (rows, −1) — one leaf —, then per group dst,
   * count, adds[count] (slot numbers), then nPub, pub[nPub]: only the published slots must hold
   * their sums afterwards. Returns false, having written nothing, where it cannot.
   */
  gemmTNLeaves?(dW0: FloatArray, db0: FloatArray, slotStride: number, y: FloatArray, dv: FloatArray, k: number, n: number, plan: Int32Array): boolean;
  /** Optional: a[p0:p1) = a + b (float32), an inner node at the top of the tree. Returns false where it cannot. */
  addInto?(a: FloatArray, b: FloatArray, p0: number, p1: number): boolean;
  /**
   * Optional: the slice pass of a step over [u.p0, u.p1) (SliceUpdate), the optimizer exactly as its
   * plain rule in optimizers.ts computes it. Returns 1 when ḡ and the new θ stayed finite on the
   * slice, 0 when not, and -1 (nothing written) where it cannot (an optimizer it has no pass for,
   * operands it cannot reach): finishSlice then runs the plain form.
   */
  finishUpdate?(u: SliceUpdate): number;
}
