import {
  applyPreprocess,
  bindWorkspace,
  createWorkspace,
  forward,
  HIDDEN_ACTIVATIONS,
  mlpSpec,
  referenceKernels,
  Rng,
  specLayout,
  type Activation,
  type Loss,
  type MLPSpec,
  type Preprocess,
} from '@shardgrad/core';

/** A model with seeded random weights (uniform in ±scale/√n_in) and the given preprocessing. */
export function randomModel(spec: MLPSpec, seed: number, preprocess: Preprocess = { kind: 'none' }) {
  const rng = new Rng(seed);
  const layout = specLayout(spec);
  const params = new Float32Array(layout.total);
  for (let i = 0; i < params.length; i++) params[i] = rng.uniform(-1.5, 1.5) / Math.sqrt(spec.sizes[0]);
  return { spec, params, preprocess, meta: { seed } };
}

/** Seeded inputs (rows, d), uniform in [lo, hi); column `constant` (if given) is all 0.5. */
export function randomInputs(rows: number, d: number, seed: number, lo = -2, hi = 2, constant?: number): Float32Array {
  const rng = new Rng(seed);
  const X = new Float32Array(rows * d);
  for (let i = 0; i < X.length; i++) X[i] = i % d === constant ? 0.5 : rng.uniform(lo, hi);
  return X;
}

/** Preprocessing fitted to nothing in particular: seeded per-column values of each kind. */
export function preprocessOf(kind: Preprocess['kind'], d: number, seed: number, constant?: number): Preprocess {
  const rng = new Rng(seed);
  const col = (f: () => number) => Array.from({ length: d }, f);
  if (kind === 'standardize') return { kind, mean: col(() => rng.uniform(-1, 1)), std: col(() => rng.uniform(0.5, 2)) };
  if (kind === 'minmax') {
    const min = col(() => rng.uniform(-2, -1));
    const max = col(() => rng.uniform(1, 2));
    if (constant !== undefined) max[constant] = min[constant] = 0.5;
    return { kind, min, max };
  }
  return { kind };
}

/** What `shardgrad predict` computes: the saved preprocessing, then the forward pass (rows, n_L). */
export function shardgradOutputs(model: { spec: MLPSpec; params: Float32Array; preprocess: Preprocess }, X: Float32Array, rows: number): Float32Array {
  const { spec } = model;
  const n0 = spec.sizes[0];
  const x = Float32Array.from(X);
  applyPreprocess(model.preprocess, x, rows, n0);
  const ws = createWorkspace(spec, rows);
  bindWorkspace(ws, model.params, new Float32Array(model.params.length));
  ws.x.set(x);
  return Float32Array.from(forward(spec, ws, rows, referenceKernels));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The spec of every (hidden, output) activation pair shardgrad trains, with the loss each output allows. */
export function activationSpecs(sizes: number[], skips: [number, number][] = [], hidden: readonly Activation[] = HIDDEN_ACTIVATIONS): MLPSpec[] {
  const outputs: [Activation, Loss][] = [['softmax', 'ce'], ['sigmoid', 'mse'], ['identity', 'mse'], ['tanh', 'mse'], ['relu', 'mse']];
  return hidden.flatMap((h) => outputs.map(([o, loss]) => mlpSpec(sizes, h, o, loss, skips)));
}
