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
  /**
   * Connections that skip layers (Rumelhart, Hinton & Williams 1986): pairs [k, t] of node layers
   * (0 = the input, L = the output) with t ≥ k + 2, so layer t receives
   * v^t = Σ_k y^k·W^{k→t} + b^t over k = t − 1 and every skip into it. Absent or empty: a plain MLP.
   * Kept sorted by t, then k (see normalizeSkips).
   */
  readonly skips?: readonly (readonly [number, number])[];
}

/** Whether a spec has connections that skip layers. */
export function hasSkips(spec: MLPSpec): boolean {
  return spec.skips !== undefined && spec.skips.length > 0;
}

/** " with skips 0>2,1>3" for a network with skip connections, "" for a plain MLP (for messages). */
export function skipsSuffix(spec: MLPSpec): string {
  return hasSkips(spec) ? ` with skips ${spec.skips!.map(([k, t]) => `${k}>${t}`).join(',')}` : '';
}

/** Every skip connection of a network with these sizes: each layer sees every lower layer (`--skip all`). */
export function allSkips(sizes: readonly number[]): [number, number][] {
  const L = sizes.length - 1;
  const out: [number, number][] = [];
  for (let t = 2; t <= L; t++) for (let k = 0; k + 2 <= t; k++) out.push([k, t]);
  return out;
}

/**
 * Checks skip pairs against L weight layers and returns them sorted by target, then source (the
 * layout's order). Throws a one-line ShardgradError naming `where` for a pair out of range, one
 * that does not go upwards past a layer, or a duplicate.
 */
export function normalizeSkips(skips: readonly (readonly [number, number])[], L: number, where = 'skips'): [number, number][] {
  const seen = new Set<string>();
  for (const pair of skips) {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => Number.isInteger(x)))
      throw errors.badInput(where, `expected pairs of layer numbers, got ${JSON.stringify(pair)}`);
    const [k, t] = pair;
    if (k < 0 || t < 0 || k > L || t > L) throw errors.badInput(where, `${k}>${t}: layers are numbered 0 (input) to ${L} (output)`);
    if (t <= k) throw errors.badInput(where, `${k}>${t}: connections go from a lower layer to a higher one`);
    if (t === k + 1) throw errors.badInput(where, `${k}>${t}: adjacent layers are always connected; a skip connection must skip a layer`);
    const key = `${k}>${t}`;
    if (seen.has(key)) throw errors.badInput(where, `${key} is given twice`);
    seen.add(key);
  }
  return skips.map(([k, t]) => [k, t] as [number, number]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}

/** Builds a spec from sizes, one hidden activation, an output activation and optional skip connections (any order). */
export function mlpSpec(sizes: readonly number[], hidden: Activation, output: Activation, loss: Loss, skips: readonly (readonly [number, number])[] = []): MLPSpec {
  const L = sizes.length - 1;
  const activations = Array.from({ length: L }, (_, l) => (l === L - 1 ? output : hidden));
  const spec: MLPSpec = skips.length > 0 ? { sizes: [...sizes], activations, loss, skips: normalizeSkips(skips, L) } : { sizes: [...sizes], activations, loss };
  validateSpec(spec);
  return spec;
}

/** Throws a one-line ShardgradError (naming `where`) if the spec cannot be trained. */
export function validateSpec(spec: MLPSpec, where = 'layers'): void {
  const { sizes, activations, loss } = spec;
  if (!Array.isArray(sizes) || sizes.length < 2) throw errors.badSetting(where, 'need at least an input and an output size');
  sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw errors.badSetting(where, `size ${i} is ${String(n)}, must be a positive integer`);
  });
  if (activations.length !== sizes.length - 1)
    throw errors.badSetting(where, `${sizes.length - 1} weight layers need ${sizes.length - 1} activations, got ${activations.length}`);
  const L = activations.length;
  activations.forEach((a, l) => {
    if (!ACTIVATIONS.includes(a)) throw errors.badSetting(where, `unknown activation "${String(a)}"`);
    if (l < L - 1 && !HIDDEN_ACTIVATIONS.includes(a)) throw errors.badSetting(where, `"${a}" can only be the output activation`);
  });
  if (!LOSSES.includes(loss)) throw errors.badSetting(where, `unknown loss "${String(loss)}"`);
  const out = activations[L - 1];
  if (out === 'softmax' && loss !== 'ce') throw errors.badSetting(where, 'a softmax output needs the cross-entropy loss (ce)');
  if (loss === 'ce' && out !== 'softmax') throw errors.badSetting(where, 'the cross-entropy loss (ce) needs a softmax output');
  if (loss === 'ce' && sizes[L] < 2) throw errors.badSetting(where, 'softmax cross-entropy needs at least 2 outputs');
  if (spec.skips !== undefined) {
    if (!Array.isArray(spec.skips)) throw errors.badSetting(where, 'skips must be a list of [from, to] pairs');
    const sorted = normalizeSkips(spec.skips, L, where);
    if (sorted.some((p, i) => p[0] !== spec.skips![i][0] || p[1] !== spec.skips![i][1])) throw errors.badSetting(where, 'skips must be sorted by target layer, then source layer');
  }
}
