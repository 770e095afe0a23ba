import type { FloatArray } from '../kernels/kernels.js';
import type { ParamLayout } from '../model/layout.js';
import { Rng } from './rng.js';

/**
 * Weight initializers. Biases start at 0. Layers are filled in layout order from one seeded
 * stream, so the same seed gives the same weights everywhere. A layer's skip blocks W^{k→l} follow
 * its ordinary block in the same stream, and n_in is the layer's total fan-in (Σ n_k).
 * - glorot (Xavier uniform): U(−a, a), a = √(6 / (n_in + n_out)) — for sigmoid/tanh/softmax
 * - he (He normal): N(0, 2 / n_in) — for ReLU
 * - uniform: U(−scale, scale)
 */
export type Initializer = 'glorot' | 'he' | 'uniform';
export const INITIALIZERS: readonly Initializer[] = ['glorot', 'he', 'uniform'];

export function initParams(params: FloatArray, layout: ParamLayout, init: Initializer, seed: number, scale = 0.1): void {
  const rng = new Rng(seed);
  params.fill(0);
  layout.layers.forEach((s, l) => {
    // a layer with skip connections draws every incoming block with its total fan-in (n_in summed)
    const blocks = [s, ...layout.skipsInto[l].map((i) => layout.skips[i])];
    const fanIn = blocks.reduce((sum, b) => sum + b.nIn, 0);
    for (const blk of blocks) {
      const count = blk.nIn * blk.nOut;
      if (init === 'glorot') {
        const a = Math.sqrt(6 / (fanIn + s.nOut));
        for (let i = 0; i < count; i++) params[blk.w + i] = rng.uniform(-a, a);
      } else if (init === 'he') {
        const sd = Math.sqrt(2 / fanIn);
        for (let i = 0; i < count; i++) params[blk.w + i] = sd * rng.normal();
      } else {
        for (let i = 0; i < count; i++) params[blk.w + i] = rng.uniform(-scale, scale);
      }
    }
  });
}
