import { optimizerDefinition } from '../optim/optimizers.js';
import { gemmTNAccumulateWeights } from './accumulate.js';
import type { FloatArray, Kernels, SliceUpdate } from './kernels.js';

/**
 * The engine's step operations on any Kernels: the kernel's own fused form where it has one, else
 * the plain form below, which defines the bits (docs/design.md, "The reduction tree").
 */

/**
 * One leaf of the reduction tree, stored through its pending levels: dW = chain(yᵀ·dv), db =
 * chain(Σ_rows dv), see Kernels.gemmTNTree. Without the fused kernel: the leaf is computed from
 * zero into scratch with gemmTNAcc (the same fma chain), then each level is one float32 add.
 * scratchW / scratchB: at least k·n and n floats, the caller's, never read after.
 */
export function treeLeaf(
  kernels: Kernels,
  dW: FloatArray, // (k, n)
  db: FloatArray, // (n)
  y: FloatArray, // (m, k)
  dv: FloatArray, // (m, n)
  m: number,
  k: number,
  n: number,
  pendW: readonly FloatArray[],
  pendB: readonly FloatArray[],
  scratchW: FloatArray,
  scratchB: FloatArray,
): void {
  if (kernels.gemmTNTree?.(dW, db, y, dv, m, k, n, pendW, pendB)) return;
  scratchW.fill(0, 0, k * n);
  scratchB.fill(0, 0, n);
  kernels.gemmTNAcc(scratchW, scratchB, y, dv, m, k, n);
  chainStore(dW, scratchW, pendW, k * n);
  chainStore(db, scratchB, pendB, n);
}

/**
 * One leaf of a block without a bias (a skip block W^{k→l}): dW = chain(yᵀ·dv), the leaf summed from
 * zero in scratchW (at least k·n floats, the caller's) with the plain loops, then each pending level
 * one float32 add, as in treeLeaf.
 */
export function treeLeafWeights(
  dW: FloatArray, // (k, n)
  y: FloatArray, // (m, k)
  dv: FloatArray, // (m, n)
  m: number,
  k: number,
  n: number,
  pendW: readonly FloatArray[],
  scratchW: FloatArray,
): void {
  scratchW.fill(0, 0, k * n);
  gemmTNAccumulateWeights(scratchW, y, dv, m, k, n);
  chainStore(dW, scratchW, pendW, k * n);
}

/** dst[i] = pend[last] + (… + (pend[0] + leaf[i])), each add rounded to float32. */
function chainStore(dst: FloatArray, leaf: FloatArray, pend: readonly FloatArray[], len: number): void {
  for (let i = 0; i < len; i++) {
    let s = leaf[i];
    for (let c = 0; c < pend.length; c++) s = Math.fround(pend[c][i] + s);
    dst[i] = s;
  }
}

/** a[p0:p1) = a + b, rounded to float32: an inner node at the top of the tree. */
export function treeAdd(kernels: Kernels, a: FloatArray, b: FloatArray, p0: number, p1: number): void {
  if (kernels.addInto?.(a, b, p0, p1)) return;
  for (let i = p0; i < p1; i++) a[i] = Math.fround(a[i] + b[i]);
}

/**
 * The slice pass of a step over [u.p0, u.p1): r = root (+ other, the root's own add), ḡ = r·inv
 * into avg (float32), the optimizer's plain rule reading theta / state and writing thetaOut /
 * stateOut, and whether ḡ and the new θ stayed finite there. avg may be root itself (the
 * single-threaded loop scales its gradient in place). An unknown optimizer is an error here.
 */
export function finishSlice(kernels: Kernels, u: SliceUpdate): boolean {
  const fused = kernels.finishUpdate?.(u) ?? -1;
  if (fused >= 0) return fused === 1;
  const { root, other, avg, p0, p1, inv } = u;
  if (other === undefined) for (let i = p0; i < p1; i++) avg[i] = root[i] * inv;
  else for (let i = p0; i < p1; i++) avg[i] = Math.fround(root[i] + other[i]) * inv;
  optimizerDefinition(u.optimizer.kind).update(u.optimizer, u);
  return sliceIsFinite(avg, u.thetaOut, p0, p1);
}

/** Whether ḡ and θ are finite on [p0, p1): NaN and ±Inf survive x − x, finite values give 0. */
export function sliceIsFinite(avg: FloatArray, theta: FloatArray, p0: number, p1: number): boolean {
  let acc = 0;
  for (let i = p0; i < p1; i++) acc += avg[i] - avg[i] + (theta[i] - theta[i]);
  return acc === 0;
}
