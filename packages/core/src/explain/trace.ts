import { derivative, HIDDEN_ACTIVATIONS, type Activation } from '../activations/activations.js';
import { errors } from '../errors.js';
import { referenceKernels } from '../kernels/reference.js';
import { LOSSES, type Loss } from '../losses/losses.js';
import { backward, forward, lossSum } from '../model/backprop.js';
import { specLayout } from '../model/layout.js';
import { normalizeSkips, validateSpec, type MLPSpec } from '../model/spec.js';
import { bindWorkspace, createWorkspace64 } from '../model/workspace.js';

/**
 * A small network and one sample, as `shardgrad explain --net FILE` reads it:
 * weights[l][i][j] is W^l[i][j], the weight from unit i of layer l to unit j of layer l+1;
 * skips["k>t"][i][j] is W^{k→t}[i][j], a connection from unit i of layer k that skips to unit j of
 * layer t (spec.skips lists the same pairs).
 */
export interface ExplainNet {
  readonly spec: MLPSpec;
  readonly weights: number[][][];
  readonly skips?: Readonly<Record<string, number[][]>>;
  readonly biases: number[][];
  readonly input: number[];
  readonly target: number[];
  readonly lr: number;
}

/** Every number of one forward + backward pass + SGD step, in the lecture's order. */
export interface ExplainTrace {
  readonly net: ExplainNet;
  readonly forward: { v: number[]; y: number[] }[];
  readonly loss: number;
  /** per layer l: ∂L/∂y, ∂y/∂v = g'(v) (null for fused softmax+CE), ∂L/∂v */
  readonly backward: { dL_dy: number[] | null; dy_dv: number[] | null; dL_dv: number[] }[];
  readonly gradients: { weights: number[][][]; biases: number[][]; skips?: Record<string, number[][]> };
  readonly updated: { weights: number[][][]; biases: number[][]; skips?: Record<string, number[][]> };
}

/**
 * The lecture's Example 1: one sigmoid unit, x = (0.1, 0.5), target 1, MSE (N = 1).
 * The slide gives x, ŷ = 0.6547 and the target; w = (0.5, 0.5), b = 0.3398 give v = 0.6398 and
 * that ŷ. The step size η = 0.5.
 */
export const LECTURE_EXAMPLE_1: ExplainNet = {
  spec: { sizes: [2, 1], activations: ['sigmoid'], loss: 'mse' },
  weights: [[[0.5], [0.5]]],
  biases: [[0.3398]],
  input: [0.1, 0.5],
  target: [1],
  lr: 0.5,
};

function isNumberArray(a: unknown, len: number): a is number[] {
  return Array.isArray(a) && a.length === len && a.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Validates the JSON of a network file. Errors are one line and name the source and the field,
 * e.g. `net.json: weights[1][0]: expected 2 finite numbers`.
 */
export function parseExplainNet(json: unknown, source: string): ExplainNet {
  const bad = (field: string, problem: string) => errors.badInput(`${source}: ${field}`, problem);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw errors.badInput(source, 'expected a JSON object');
  const o = json as Record<string, unknown>;
  const layers = o.layers;
  if (!Array.isArray(layers) || layers.length < 2 || !layers.every((n) => Number.isInteger(n) && (n as number) >= 1))
    throw bad('layers', 'expected an array of at least 2 positive integers');
  const sizes = layers as number[];
  const L = sizes.length - 1;
  const hidden = (o.activation ?? 'sigmoid') as Activation;
  if (!HIDDEN_ACTIVATIONS.includes(hidden)) throw bad('activation', `expected one of ${HIDDEN_ACTIVATIONS.join(', ')}`);
  const output = (o.output ?? hidden) as Activation;
  if (![...HIDDEN_ACTIVATIONS, 'softmax'].includes(output)) throw bad('output', `expected one of ${[...HIDDEN_ACTIVATIONS, 'softmax'].join(', ')}`);
  const loss = (o.loss ?? (output === 'softmax' ? 'ce' : 'mse')) as Loss;
  if (!LOSSES.includes(loss)) throw bad('loss', `expected one of ${LOSSES.join(', ')}`);
  // skips: {"k>t": W^{k→t} (n_k rows of n_t numbers)}, the connections that skip layers
  const skipJson = o.skips ?? {};
  if (typeof skipJson !== 'object' || skipJson === null || Array.isArray(skipJson)) throw bad('skips', 'expected an object of matrices keyed "from>to", e.g. {"0>2": [[1], [1]]}');
  const pairs = Object.keys(skipJson).map((key) => {
    const m = /^(\d+)>(\d+)$/.exec(key);
    if (!m) throw bad(`skips["${key}"]`, 'expected a key "from>to" of two layer numbers, e.g. "0>2"');
    return [Number(m[1]), Number(m[2])] as [number, number];
  });
  let skips: [number, number][];
  try {
    skips = normalizeSkips(pairs, L, 'skips');
  } catch (e) {
    throw errors.badInput(source, (e as Error).message);
  }
  const activations = sizes.slice(1).map((_, l) => (l === L - 1 ? output : hidden));
  const spec: MLPSpec = skips.length > 0 ? { sizes, activations, loss, skips } : { sizes, activations, loss };
  try {
    validateSpec(spec, 'layers');
  } catch (e) {
    throw errors.badInput(source, (e as Error).message);
  }
  for (const [k, t] of skips) {
    const Wk = (skipJson as Record<string, unknown>)[`${k}>${t}`];
    if (!Array.isArray(Wk) || Wk.length !== sizes[k]) throw bad(`skips["${k}>${t}"]`, `expected ${sizes[k]} rows (one per unit of layer ${k})`);
    for (let i = 0; i < sizes[k]; i++) if (!isNumberArray(Wk[i], sizes[t])) throw bad(`skips["${k}>${t}"][${i}]`, `expected ${sizes[t]} finite numbers`);
  }
  const weights = o.weights;
  if (!Array.isArray(weights) || weights.length !== L) throw bad('weights', `expected ${L} weight matrices`);
  for (let l = 0; l < L; l++) {
    const Wl = weights[l] as unknown;
    if (!Array.isArray(Wl) || Wl.length !== sizes[l]) throw bad(`weights[${l}]`, `expected ${sizes[l]} rows (one per unit of layer ${l})`);
    for (let i = 0; i < sizes[l]; i++)
      if (!isNumberArray(Wl[i], sizes[l + 1])) throw bad(`weights[${l}][${i}]`, `expected ${sizes[l + 1]} finite numbers`);
  }
  const biases = o.biases ?? sizes.slice(1).map((n) => new Array<number>(n).fill(0));
  if (!Array.isArray(biases) || biases.length !== L) throw bad('biases', `expected ${L} bias vectors`);
  for (let l = 0; l < L; l++) if (!isNumberArray(biases[l], sizes[l + 1])) throw bad(`biases[${l}]`, `expected ${sizes[l + 1]} finite numbers`);
  if (!isNumberArray(o.input, sizes[0])) throw bad('input', `expected ${sizes[0]} finite numbers`);
  if (!isNumberArray(o.target, sizes[L])) throw bad('target', `expected ${sizes[L]} finite numbers`);
  if (loss === 'ce') {
    // softmax with cross-entropy gives ∂L/∂v = ŷ − y only for a class distribution (Σy = 1, y ≥ 0)
    const sum = o.target.reduce((a, b) => a + b, 0);
    if (o.target.some((t) => t < 0) || Math.abs(sum - 1) > 1e-9)
      throw bad('target', `softmax with cross-entropy needs a class distribution (numbers ≥ 0 that sum to 1), got sum ${sum}`);
  }
  const lr = o.lr ?? 0.5;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw bad('lr', 'expected a positive number');
  const net = { spec, weights: weights as number[][][], biases: biases as number[][], input: o.input, target: o.target, lr };
  return skips.length > 0 ? { ...net, skips: skipJson as Record<string, number[][]> } : net;
}

/** Runs one sample through the network in float64 with the training code itself and records every number. */
export function explain(net: ExplainNet): ExplainTrace {
  const { spec } = net;
  const layout = specLayout(spec);
  const params = new Float64Array(layout.total);
  layout.layers.forEach((s, l) => {
    for (let i = 0; i < s.nIn; i++) for (let j = 0; j < s.nOut; j++) params[s.w + i * s.nOut + j] = net.weights[l][i][j];
    for (let j = 0; j < s.nOut; j++) params[s.b + j] = net.biases[l][j];
  });
  for (const s of layout.skips) {
    const Wk = net.skips?.[`${s.from}>${s.to}`];
    if (!Wk) throw errors.badInput('skips', `no weights for the connection ${s.from}>${s.to}`);
    for (let i = 0; i < s.nIn; i++) for (let j = 0; j < s.nOut; j++) params[s.w + i * s.nOut + j] = Wk[i][j];
  }
  const grad = new Float64Array(layout.total);
  const ws = createWorkspace64(spec, 1);
  bindWorkspace(ws, params, grad);
  ws.x.set(net.input);
  ws.t.set(net.target);
  forward(spec, ws, 1, referenceKernels);
  const loss = lossSum(spec, ws, 1);
  backward(spec, ws, 1, referenceKernels);

  const L = layout.layers.length;
  const arr = (a: Float64Array, n: number) => Array.from(a.subarray(0, n));
  const fused = spec.loss === 'ce';
  const fwd = layout.layers.map((s, l) => ({ v: arr(ws.v[l], s.nOut), y: arr(ws.y[l], s.nOut) }));
  const back = layout.layers.map((s, l) => {
    const isOut = l === L - 1;
    const act = spec.activations[l];
    const dy_dv =
      isOut && fused ? null : fwd[l].v.map((v, j) => derivative(act as Exclude<Activation, 'softmax'>, v, fwd[l].y[j]));
    return { dL_dy: isOut && fused ? null : arr(ws.dy[l], s.nOut), dy_dv, dL_dv: arr(ws.dv[l], s.nOut) };
  });
  const matrices = (flat: Float64Array) =>
    layout.layers.map((s) => Array.from({ length: s.nIn }, (_, i) => Array.from(flat.subarray(s.w + i * s.nOut, s.w + (i + 1) * s.nOut))));
  const vectors = (flat: Float64Array) => layout.layers.map((s) => Array.from(flat.subarray(s.b, s.b + s.nOut)));
  // the skip blocks keyed "k>t", present only for a network that has them
  const skipMatrices = (flat: Float64Array) =>
    layout.skips.length === 0
      ? {}
      : { skips: Object.fromEntries(layout.skips.map((s) => [`${s.from}>${s.to}`, Array.from({ length: s.nIn }, (_, i) => Array.from(flat.subarray(s.w + i * s.nOut, s.w + (i + 1) * s.nOut)))])) };
  const updatedFlat = params.map((p, i) => p - net.lr * grad[i]);
  return {
    net,
    forward: fwd,
    loss,
    backward: back,
    gradients: { weights: matrices(grad), biases: vectors(grad), ...skipMatrices(grad) },
    updated: { weights: matrices(updatedFlat), biases: vectors(updatedFlat), ...skipMatrices(updatedFlat) },
  };
}
