import { ACTIVATIONS, HIDDEN_ACTIVATIONS, type Activation } from '../activations/activations.js';
import { errors } from '../errors.js';
import { LOSSES, type Loss } from '../losses/losses.js';

/**
 * An MLP: layer sizes n₀ (inputs) … n_L (outputs) and one activation per weight layer.
 * Weight layer l (0-based) maps y^{l} (n_l values; y⁰ = x) to v^{l+1} = y^{l}·W^l + b^l and
 * y^{l+1} = g_l(v^{l+1}); W^l[i][j] is the weight from unit i of the layer below to unit j.
 */
export interface MLPSpec {
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
  readonly loss: Loss;
}

/** Builds a spec from sizes, one hidden activation and an output activation. */
export function mlpSpec(sizes: readonly number[], hidden: Activation, output: Activation, loss: Loss): MLPSpec {
  const L = sizes.length - 1;
  const activations = Array.from({ length: L }, (_, l) => (l === L - 1 ? output : hidden));
  const spec = { sizes: [...sizes], activations, loss };
  validateSpec(spec);
  return spec;
}

/** Throws a one-line ShardgradError (naming `where`) if the spec cannot be trained. */
export function validateSpec(spec: MLPSpec, where = 'layers'): void {
  const { sizes, activations, loss } = spec;
  if (!Array.isArray(sizes) || sizes.length < 2) throw errors.badInput(where, 'need at least an input and an output size');
  sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw errors.badInput(where, `size ${i} is ${String(n)}, must be a positive integer`);
  });
  if (activations.length !== sizes.length - 1)
    throw errors.badInput(where, `${sizes.length - 1} weight layers need ${sizes.length - 1} activations, got ${activations.length}`);
  const L = activations.length;
  activations.forEach((a, l) => {
    if (!ACTIVATIONS.includes(a)) throw errors.badInput(where, `unknown activation "${String(a)}"`);
    if (l < L - 1 && !HIDDEN_ACTIVATIONS.includes(a)) throw errors.badInput(where, `"${a}" can only be the output activation`);
  });
  if (!LOSSES.includes(loss)) throw errors.badInput(where, `unknown loss "${String(loss)}"`);
  const out = activations[L - 1];
  if (out === 'softmax' && loss !== 'ce') throw errors.badInput(where, 'a softmax output needs the cross-entropy loss (ce)');
  if (loss === 'ce' && out !== 'softmax') throw errors.badInput(where, 'the cross-entropy loss (ce) needs a softmax output');
  if (loss === 'ce' && sizes[L] < 2) throw errors.badInput(where, 'softmax cross-entropy needs at least 2 outputs');
}
