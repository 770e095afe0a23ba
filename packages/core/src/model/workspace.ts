import type { FloatArray } from '../kernels/kernels.js';
import type { MLPSpec } from './spec.js';
import { specLayout, weightView, biasView, type ParamLayout } from './layout.js';

/** How a workspace gets its memory: a plain typed array, or a kernel's own (e.g. WebAssembly) memory. */
export type Allocate<T extends FloatArray> = (length: number) => T;

/**
 * Every buffer one forward + backward pass over up to `capacity` rows needs, created once per run
 * so the training step allocates nothing. Per weight layer l (shape letters: R = capacity rows):
 */
export interface Workspace<T extends FloatArray = Float32Array> {
  readonly capacity: number;
  readonly layout: ParamLayout;
  /** x: (R, n₀) the gathered input rows */
  readonly x: T;
  /** t: (R, n_L) the gathered targets */
  readonly t: T;
  /** v[l]: (R, n_{l+1}) pre-activations v = yW + b */
  readonly v: T[];
  /** y[l]: (R, n_{l+1}) activations y = g(v) */
  readonly y: T[];
  /** dy[l]: (R, n_{l+1}) ∂L/∂y */
  readonly dy: T[];
  /** dv[l]: (R, n_{l+1}) ∂L/∂v */
  readonly dv: T[];
  /** per-layer views of the parameter and gradient vectors, set by bindWorkspace */
  W: T[];
  b: T[];
  dW: T[];
  db: T[];
  /** per skip block s (layout.skips[s]): W^{k→l} and its gradient; empty for a plain MLP */
  Ws: T[];
  dWs: T[];
}

export function createWorkspace<T extends FloatArray = Float32Array>(
  spec: MLPSpec,
  capacity: number,
  allocate: Allocate<T> = ((n: number) => new Float32Array(n)) as unknown as Allocate<T>,
): Workspace<T> {
  const layout = specLayout(spec);
  const L = layout.layers.length;
  const per = () => layout.layers.map((s) => allocate(capacity * s.nOut));
  return {
    capacity,
    layout,
    x: allocate(capacity * spec.sizes[0]),
    t: allocate(capacity * spec.sizes[L]),
    v: per(),
    y: per(),
    dy: per(),
    dv: per(),
    W: [],
    b: [],
    dW: [],
    db: [],
    Ws: [],
    dWs: [],
  };
}

/** A workspace in float64 (for gradient checks and the teaching trace). */
export function createWorkspace64(spec: MLPSpec, capacity: number): Workspace<Float64Array> {
  return createWorkspace<Float64Array>(spec, capacity, (n) => new Float64Array(n));
}

/** Per-layer views (W^l, b^l) and per-skip-block views (W^{k→l}) of one flat vector: parameters or a gradient. */
export interface LayerViews<T extends FloatArray> {
  readonly W: T[];
  readonly b: T[];
  readonly S: T[];
}

export function layerViews<T extends FloatArray>(flat: T, layout: ParamLayout): LayerViews<T> {
  return {
    W: layout.layers.map((s) => weightView(flat, s)),
    b: layout.layers.map((s) => biasView(flat, s)),
    S: layout.skips.map((s) => weightView(flat, s)),
  };
}

/**
 * Points the workspace's per-layer views at a parameter vector and a gradient vector. Called once
 * per run (or when the buffers change), not per step: it makes new view objects.
 */
export function bindWorkspace<T extends FloatArray>(ws: Workspace<T>, params: T, grad: T): void {
  bindParams(ws, layerViews(params, ws.layout));
  bindGradient(ws, layerViews(grad, ws.layout));
}

/** Points the parameter views at views made earlier (no allocation). */
export function bindParams<T extends FloatArray>(ws: Workspace<T>, v: LayerViews<T>): void {
  ws.W = v.W;
  ws.b = v.b;
  ws.Ws = v.S;
}

/** Points the gradient views at views made earlier (no allocation): switch shard per step for free. */
export function bindGradient<T extends FloatArray>(ws: Workspace<T>, v: LayerViews<T>): void {
  ws.dW = v.W;
  ws.db = v.b;
  ws.dWs = v.S;
}

