import type { FloatArray } from '../kernels/kernels.js';

/**
 * Where each layer's parameters sit in the one flat parameter vector. For each weight layer l
 * (target node layer t = l + 1) in order: W^{t−1→t} (n_{t−1}×n_t, row-major, the ordinary weight),
 * then the skip blocks W^{k→t} (n_k×n_t) for k ascending, then b^t (n_t). Without skips that is
 * W⁰, b⁰, W¹, b¹, … — the layout of a plain MLP, bit for bit. The same order holds for gradients and
 * optimizer state, so a worker can reduce and update any index range without knowing layers.
 */
export interface LayerSlot {
  readonly nIn: number;
  readonly nOut: number;
  /** offset of W^l in the flat vector */
  readonly w: number;
  /** offset of b^l in the flat vector (after the layer's skip blocks) */
  readonly b: number;
}

/** A connection that skips layers: W^{from→to}, from node layer `from` (0 = input) to node layer `to`. */
export interface SkipSlot {
  readonly from: number;
  readonly to: number;
  /** n_from and n_to */
  readonly nIn: number;
  readonly nOut: number;
  /** offset of W^{from→to} in the flat vector */
  readonly w: number;
}

export interface ParamLayout {
  readonly layers: readonly LayerSlot[];
  /** the skip blocks in flat order (by target, then source); empty for a plain MLP */
  readonly skips: readonly SkipSlot[];
  /** per weight layer l: indices into `skips` of the blocks into node layer l + 1 */
  readonly skipsInto: readonly (readonly number[])[];
  /** per node layer k (0..L): indices into `skips` of the blocks out of node layer k */
  readonly skipsFrom: readonly (readonly number[])[];
  /** P, the number of parameters */
  readonly total: number;
}

/** The layout of a network with these sizes and skip pairs [from, to] (sorted by to, then from; see normalizeSkips). */
export function paramLayout(sizes: readonly number[], skips: readonly (readonly [number, number])[] = []): ParamLayout {
  const layers: LayerSlot[] = [];
  const skipSlots: SkipSlot[] = [];
  const skipsInto: number[][] = [];
  const skipsFrom: number[][] = sizes.map(() => []);
  let off = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    const w = off;
    off += nIn * nOut;
    const into: number[] = [];
    for (const [from, to] of skips) {
      if (to !== l + 1) continue;
      into.push(skipSlots.length);
      skipsFrom[from].push(skipSlots.length);
      skipSlots.push({ from, to, nIn: sizes[from], nOut, w: off });
      off += sizes[from] * nOut;
    }
    skipsInto.push(into);
    layers.push({ nIn, nOut, w, b: off });
    off += nOut;
  }
  return { layers, skips: skipSlots, skipsInto, skipsFrom, total: off };
}

/** The layout of a spec's parameters (its sizes and skip connections). */
export function specLayout(spec: { readonly sizes: readonly number[]; readonly skips?: readonly (readonly [number, number])[] }): ParamLayout {
  return paramLayout(spec.sizes, spec.skips);
}

/** W^l as a view (nIn×nOut) into a flat vector. */
export function weightView<T extends FloatArray>(flat: T, slot: LayerSlot | SkipSlot): T {
  return flat.subarray(slot.w, slot.w + slot.nIn * slot.nOut) as T;
}

/** b^l as a view (nOut) into a flat vector. */
export function biasView<T extends FloatArray>(flat: T, slot: LayerSlot): T {
  return flat.subarray(slot.b, slot.b + slot.nOut) as T;
}
