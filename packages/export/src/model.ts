import { errors, specLayout, validateSpec, weightView, biasView, type Activation, type MLPSpec, type Preprocess } from '@shardgrad/core';

/** What every exporter takes: the fields of a loaded .sgm model (see @shardgrad/coordinator's LoadedModel). */
export interface ExportableModel {
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  readonly meta?: Record<string, unknown>;
}

/** One weight block W^{from→to} (nIn×nOut, row-major: W[i][j] is the weight from unit i below to unit j). */
export interface WeightBlock {
  readonly from: number;
  readonly to: number;
  readonly nIn: number;
  readonly nOut: number;
  /** a view into the model's flat parameters, (nIn, nOut) */
  readonly W: Float32Array;
}

/**
 * Weight layer l, the step from node layers below to node layer `to` = l + 1:
 * v = y^{to−1}·main.W + Σ_skips y^{from}·W + b, y^{to} = activation(v).
 */
export interface DenseLayer {
  readonly to: number;
  readonly main: WeightBlock;
  /** blocks from lower layers (connections that skip layers), by source ascending */
  readonly skips: readonly WeightBlock[];
  /** a view into the flat parameters, (nOut) */
  readonly b: Float32Array;
  readonly activation: Activation;
}

/**
 * The layers of a model as views into its flat parameter vector (docs/design.md's layout). Checks
 * the spec, the parameter count and the preprocessing's width first; each problem is a one-line
 * ShardgradError naming `where`.
 */
export function denseLayers(model: ExportableModel, where = 'model'): DenseLayer[] {
  const { spec, params, preprocess } = model;
  validateSpec(spec, where);
  const layout = specLayout(spec);
  if (!(params instanceof Float32Array) || params.length !== layout.total)
    throw errors.badInput(where, `layers ${spec.sizes.join('-')} need ${layout.total} parameters, got ${params?.length}`);
  checkPreprocess(preprocess, spec.sizes[0], where);
  return layout.layers.map((slot, l) => ({
    to: l + 1,
    main: { from: l, to: l + 1, nIn: slot.nIn, nOut: slot.nOut, W: weightView(params, slot) },
    skips: layout.skipsInto[l].map((s) => {
      const k = layout.skips[s];
      return { from: k.from, to: k.to, nIn: k.nIn, nOut: k.nOut, W: weightView(params, k) };
    }),
    b: biasView(params, slot),
    activation: spec.activations[l],
  }));
}

/** Preprocessing must have one finite value per input column for each of its vectors. */
function checkPreprocess(p: Preprocess, n0: number, where: string): void {
  const vectors = p.kind === 'standardize' ? { mean: p.mean, std: p.std } : p.kind === 'minmax' ? { min: p.min, max: p.max } : p.kind === 'none' ? {} : undefined;
  if (vectors === undefined) throw errors.badInput(where, `unknown preprocessing ${JSON.stringify((p as { kind?: unknown })?.kind)}`);
  for (const [name, v] of Object.entries(vectors)) {
    if (!Array.isArray(v) || v.length !== n0) throw errors.badInput(where, `preprocessing ${name} needs ${n0} values, one per input`);
    if (!v.every((x) => Number.isFinite(x))) throw errors.badInput(where, `preprocessing ${name} has a value that is not a finite number`);
  }
}

/**
 * The preprocessing as x' = (x − shift) / scale per input column, the form of the ONNX Sub/Div nodes:
 * standardize is (x − mean)/std; minmax is (x − min)/(max − min), and a constant column (max = min),
 * which shardgrad maps to 0, gets scale +∞ so that (x − min)/∞ = 0 for every finite x.
 * Undefined for "none".
 */
export function shiftAndScale(p: Preprocess): { shift: number[]; scale: number[] } | undefined {
  if (p.kind === 'standardize') return { shift: p.mean, scale: p.std };
  if (p.kind === 'minmax') return { shift: p.min, scale: p.max.map((hi, j) => (hi - p.min[j] > 0 ? hi - p.min[j] : Infinity)) };
  return undefined;
}
