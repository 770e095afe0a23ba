import type { FloatArray } from '../kernels/kernels.js';

/**
 * Where each layer's parameters sit in the one flat parameter vector:
 * W⁰ (n₀×n₁, row-major), b⁰ (n₁), W¹ (n₁×n₂), b¹ (n₂), … — the same order for gradients and
 * optimizer state, so a worker can reduce and update any index range without knowing layers.
 */
export interface LayerSlot {
  readonly nIn: number;
  readonly nOut: number;
  /** offset of W^l in the flat vector */
  readonly w: number;
  /** offset of b^l in the flat vector */
  readonly b: number;
}

export interface ParamLayout {
  readonly layers: readonly LayerSlot[];
  /** P, the number of parameters */
  readonly total: number;
}

export function paramLayout(sizes: readonly number[]): ParamLayout {
  const layers: LayerSlot[] = [];
  let off = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    layers.push({ nIn, nOut, w: off, b: off + nIn * nOut });
    off += nIn * nOut + nOut;
  }
  return { layers, total: off };
}

/** W^l as a view (nIn×nOut) into a flat vector. */
export function weightView<T extends FloatArray>(flat: T, slot: LayerSlot): T {
  return flat.subarray(slot.w, slot.w + slot.nIn * slot.nOut) as T;
}

/** b^l as a view (nOut) into a flat vector. */
export function biasView<T extends FloatArray>(flat: T, slot: LayerSlot): T {
  return flat.subarray(slot.b, slot.b + slot.nOut) as T;
}
