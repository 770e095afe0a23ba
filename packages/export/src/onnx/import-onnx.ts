import { errors, specLayout, validateSpec, type Activation, type MLPSpec, type Preprocess } from '@shardgrad/core';
import { shiftAndScale } from '../model.js';
import { FLOAT, METADATA_KEY, onnx, type OnnxTypes } from './proto.js';

export interface ImportedModel {
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  readonly meta: Record<string, unknown>;
}

const SUPPORTED = 'shardgrad imports Gemm, MatMul+Add, Relu, Sigmoid, Tanh, Softmax (after an optional Sub/Div input scaling)';
const ACTIVATION_OF: Record<string, Activation> = { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Softmax: 'softmax', Identity: 'identity' };

/** A constant: an initializer or a Constant node's value, float32, row-major. */
interface Const {
  readonly kind: 'const';
  readonly dims: number[];
  readonly data: Float32Array;
}
/** The graph input, with the Sub (shift) and Div (scale) applied to it so far. */
interface Raw {
  readonly kind: 'raw';
  readonly shift?: Float32Array;
  readonly scale?: Float32Array;
}
/** Node layer k's output y^k (k = 0: the scaled input). */
interface Layer {
  readonly kind: 'layer';
  readonly k: number;
}
/** A sum v = Σ y^from·W + b not yet through an activation. */
interface Linear {
  readonly kind: 'linear';
  readonly terms: readonly { from: number; nIn: number; W: Float32Array }[];
  readonly nOut: number;
  readonly b?: Float32Array;
  used: boolean;
}
type Value = Const | Raw | Layer | Linear;

interface BuiltLayer {
  readonly main: { nIn: number; W: Float32Array };
  readonly skips: { from: number; nIn: number; W: Float32Array }[];
  readonly b: Float32Array;
  readonly nOut: number;
  readonly activation: Activation;
}

const numel = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

/**
 * Reads an ONNX MLP back into shardgrad's spec and flat parameters: an optional Sub/Div input scaling
 * (becomes standardize, or the exact preprocessing a shardgrad export recorded), then per layer a
 * Gemm (or MatMul + Add) with MatMul blocks from lower layers added in (connections that skip
 * layers), then Relu, Sigmoid, Tanh, Softmax (last layer only) or nothing (identity). Anything else,
 * or a graph of another shape, throws a one-line ShardgradError naming `source` and the node.
 * The loss follows from the output: softmax → ce, anything else → mse.
 */
export function importOnnx(bytes: Uint8Array, source = 'model.onnx'): ImportedModel {
  const bad = (problem: string) => errors.badInput(source, problem);
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    if (new TextDecoder().decode(bytes.subarray(0, 8)) === 'SHRDGRAD') throw bad('not an ONNX model: it is a shardgrad model file already');
    throw bad(`not an ONNX model (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  // decoded messages have every repeated field, empty when absent
  const graph = model.graph as OnnxTypes.GraphProto | null;
  if (!graph || graph.node.length === 0) throw bad('not an ONNX model (no graph with nodes)');
  const opset = Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0);

  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const values = new Map<string, Value>();
  const constOf = (t: OnnxTypes.ITensorProto, what: string): Const => tensorValue(t, what, bad);

  const inputs = graph.input.filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1) throw bad(`the graph has ${inputs.length} inputs; shardgrad imports a model with one input (batch, features)`);
  const input = inputs[0];
  const inputType = input.type?.tensorType;
  if (inputType && inputType.elemType !== FLOAT) throw bad(`input "${input.name}" is not float32 (element type ${inputType.elemType})`);
  const inputDims = inputType?.shape?.dim;
  if (inputDims && inputDims.length !== 2) throw bad(`input "${input.name}" has ${inputDims.length} dimensions; shardgrad imports a (batch, features) input`);
  const declaredWidth = inputDims?.[1]?.dimValue !== undefined && inputDims[1].dimValue !== null ? Number(inputDims[1].dimValue) : 0;
  values.set(input.name ?? '', { kind: 'raw' });

  const layers: BuiltLayer[] = [];
  let scaledInput: Raw | undefined;
  let n0 = 0;

  (graph.node as OnnxTypes.NodeProto[]).forEach((node, i) => {
    const op = node.opType;
    const at = `node ${i} (${op})`;
    if (node.domain && node.domain !== 'ai.onnx') throw bad(`${at} from domain "${node.domain}" is not supported: ${SUPPORTED}`);
    const get = (j: number): Value => {
      const name = node.input[j];
      if (name === undefined || name === '') throw bad(`${at}: input ${j} is missing`);
      const v = values.get(name) ?? (initializers.has(name) ? constOf(initializers.get(name)!, `initializer "${name}"`) : undefined);
      if (!v) throw bad(`${at}: input "${name}" is not the graph input, an initializer or an earlier node's output`);
      return v;
    };
    const attr = (name: string) => node.attribute.find((a) => a.name === name);
    const intAttr = (name: string, fallback: number) => {
      const a = attr(name);
      return a ? Number(a.i) : fallback;
    };
    const floatAttr = (name: string, fallback: number) => {
      const a = attr(name);
      return a ? a.f : fallback;
    };
    /** y^k for a value a weight block reads: the scaled input, a layer, or a linear sum taken as an identity layer. */
    const layerOf = (v: Value, j: number): number => {
      if (v.kind === 'layer') return v.k;
      if (v.kind === 'raw') {
        if (scaledInput && scaledInput !== v) throw bad(`${at}: the input reaches the layers through two different scalings`);
        scaledInput = v;
        return 0;
      }
      if (v.kind === 'linear') return activate(v, 'identity', at);
      throw bad(`${at}: input ${j} is a constant where the layer's input was expected`);
    };
    /** A weight block's width must match the layer it reads. */
    const widthOf = (k: number): number => (k === 0 ? n0 : layers[k - 1].nOut);
    const block = (k: number, W: Const, transposed: boolean): Linear => {
      if (W.dims.length !== 2) throw bad(`${at}: the weight is ${W.dims.length}-dimensional; shardgrad imports 2-dimensional weights`);
      const [nIn, nOut] = transposed ? [W.dims[1], W.dims[0]] : [W.dims[0], W.dims[1]];
      const width = k === 0 && layers.length === 0 ? nIn : widthOf(k);
      if (nIn !== width) throw bad(`${at}: the weight has ${nIn} rows for layer ${k} of width ${width}`);
      return { kind: 'linear', terms: [{ from: k, nIn, W: transposed ? transpose(W.data, nOut, nIn) : W.data }], nOut, used: false };
    };
    const biasOf = (c: Const, nOut: number): Float32Array => {
      const n = numel(c.dims);
      if (c.dims.length > 2 || (n !== nOut && n !== 1) || (c.dims.length === 2 && c.dims[0] !== 1)) throw bad(`${at}: the bias has shape [${c.dims.join(', ')}] for ${nOut} units`);
      return n === 1 ? new Float32Array(nOut).fill(c.data[0]) : c.data;
    };
    const out = (v: Value) => {
      if (node.output.length !== 1) throw bad(`${at}: expected one output, found ${node.output.length}`);
      values.set(node.output[0], v);
    };

    switch (op) {
      case 'Constant': {
        const value = attr('value');
        if (!value?.t) throw bad(`${at}: only a tensor "value" is supported`);
        out(constOf(value.t, `${at}'s value`));
        return;
      }
      case 'Sub':
      case 'Div': {
        const x = get(0);
        const c = get(1);
        if (x.kind !== 'raw' || c.kind !== 'const' || x === scaledInput) throw bad(`${at} is supported only as input scaling (input − shift, then ÷ scale) before the first layer: ${SUPPORTED}`);
        if (op === 'Sub' && (x.shift || x.scale)) throw bad(`${at}: the input scaling must be one Sub, then one Div`);
        if (op === 'Div' && x.scale) throw bad(`${at}: the input scaling must be one Sub, then one Div`);
        if (c.dims.length > 2 || (c.dims.length === 2 && c.dims[0] !== 1)) throw bad(`${at}: the ${op === 'Sub' ? 'shift' : 'scale'} has shape [${c.dims.join(', ')}]; expected one value per feature`);
        out(op === 'Sub' ? { kind: 'raw', shift: c.data } : { kind: 'raw', ...(x.shift ? { shift: x.shift } : {}), scale: c.data });
        return;
      }
      case 'Gemm': {
        if (floatAttr('alpha', 1) !== 1 || floatAttr('beta', 1) !== 1 || intAttr('transA', 0) !== 0) throw bad(`${at}: only alpha = 1, beta = 1 and transA = 0 are supported`);
        const k = layerOf(get(0), 0);
        const W = get(1);
        if (W.kind !== 'const') throw bad(`${at}: the weight must be an initializer`);
        const v = block(k, W, intAttr('transB', 0) === 1);
        if (node.input.length > 2 && node.input[2] !== '') {
          const C = get(2);
          if (C.kind !== 'const') throw bad(`${at}: the bias must be an initializer`);
          out({ ...v, b: biasOf(C, v.nOut) });
        } else out(v);
        return;
      }
      case 'MatMul': {
        const k = layerOf(get(0), 0);
        const W = get(1);
        if (W.kind !== 'const') throw bad(`${at}: the weight (input 1) must be an initializer`);
        out(block(k, W, false));
        return;
      }
      case 'Add': {
        const [a, b] = [get(0), get(1)];
        if (a.kind === 'linear' && b.kind === 'linear') {
          if (a.nOut !== b.nOut) throw bad(`${at}: adds sums of ${a.nOut} and ${b.nOut} units`);
          if (a.used || b.used) throw bad(`${at}: a layer's sum is used twice`);
          a.used = b.used = true;
          const froms = [...a.terms, ...b.terms].map((t) => t.from);
          if (new Set(froms).size !== froms.length) throw bad(`${at}: adds two weight blocks from the same layer`);
          out({ kind: 'linear', terms: [...a.terms, ...b.terms], nOut: a.nOut, ...sumBias(a.b, b.b), used: false });
          return;
        }
        const [v, c] = a.kind === 'linear' ? [a, b] : [b, a];
        if (v.kind !== 'linear' || c.kind !== 'const') throw bad(`${at} is supported only as a bias or a sum of weight blocks (MatMul+Add): ${SUPPORTED}`);
        if (v.used) throw bad(`${at}: a layer's sum is used twice`);
        v.used = true;
        out({ ...v, used: false, ...sumBias(v.b, biasOf(c, v.nOut)) });
        return;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Softmax':
      case 'Identity': {
        const x = get(0);
        if (op === 'Softmax') {
          const axis = intAttr('axis', opset >= 13 ? -1 : 1);
          if (axis !== -1 && axis !== 1) throw bad(`${at}: softmax over axis ${axis}; shardgrad's softmax is over the units (axis 1 or -1)`);
        }
        if (op === 'Identity' && x.kind !== 'linear') {
          out(x);
          return;
        }
        if (x.kind !== 'linear') throw bad(`${at} must follow a Gemm or MatMul (+ Add): ${SUPPORTED}`);
        out({ kind: 'layer', k: activate(x, ACTIVATION_OF[op], at) });
        return;
      }
      default:
        throw bad(`${at} is not supported: ${SUPPORTED}`);
    }
  });

  if (graph.output.length !== 1) throw bad(`the graph has ${graph.output.length} outputs; shardgrad imports a model with one output`);
  const output = values.get(graph.output[0].name ?? '');
  if (output?.kind === 'linear') activate(output, 'identity', `output "${graph.output[0].name}"`);
  else if (output?.kind !== 'layer' || output.k !== layers.length || layers.length === 0)
    throw bad(`output "${graph.output[0].name}" is not the last layer of an MLP`);
  if (declaredWidth > 0 && declaredWidth !== n0) throw bad(`input "${input.name}" has ${declaredWidth} features, the first layer reads ${n0}`);

  const spec = specOf(layers, n0, source);
  return { spec, params: paramsOf(spec, layers), preprocess: preprocessOf(scaledInput, n0, shardgradMetadata(model), bad), meta: metaOf(model, source) };

  /** Puts a sum through its activation: the next node layer t, whose sum needs one block from t − 1 and may add blocks from lower layers. */
  function activate(v: Linear, activation: Activation, where: string): number {
    if (v.used) throw bad(`${where}: a layer's sum is used twice`);
    v.used = true;
    const t = layers.length + 1;
    const main = v.terms.filter((term) => term.from === t - 1);
    if (main.length !== 1) throw bad(`${where}: layer ${t} must have exactly one weight block from layer ${t - 1}, the layer below`);
    if (t === 1) n0 = main[0].nIn;
    layers.push({ main: main[0], skips: v.terms.filter((term) => term.from !== t - 1).sort((a, b) => a.from - b.from), b: v.b ?? new Float32Array(v.nOut), nOut: v.nOut, activation });
    return t;
  }
}

/** The sum of two optional biases (float32, as onnxruntime adds them). */
function sumBias(a: Float32Array | undefined, b: Float32Array | undefined): { b?: Float32Array } {
  if (!a) return b ? { b } : {};
  if (!b) return { b: a };
  return { b: a.map((x, j) => Math.fround(x + b[j])) };
}

function transpose(W: Float32Array, rows: number, cols: number): Float32Array {
  const T = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = W[i * cols + j];
  return T;
}

/** A float32 tensor's values (raw little-endian bytes or float_data). */
function tensorValue(t: OnnxTypes.ITensorProto, what: string, bad: (p: string) => Error): Const {
  if (t.dataType !== FLOAT) throw bad(`${what} has ONNX data type ${t.dataType}; shardgrad imports float32 tensors (type 1)`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) throw bad(`${what} is stored in an external file; shardgrad imports self-contained models`);
  const dims = (t.dims ?? []).map(Number);
  const n = numel(dims);
  let data: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * 4) throw bad(`${what} has ${t.rawData.length} bytes for shape [${dims.join(', ')}]`);
    data = new Float32Array(n);
    new Uint8Array(data.buffer).set(t.rawData); // ONNX raw data is little-endian, as is the host (checked in index.ts)
  } else {
    if ((t.floatData?.length ?? 0) !== n) throw bad(`${what} has ${t.floatData?.length ?? 0} values for shape [${dims.join(', ')}]`);
    data = Float32Array.from(t.floatData ?? []);
  }
  return { kind: 'const', dims, data };
}

function specOf(layers: BuiltLayer[], n0: number, source: string): MLPSpec {
  const skips = layers.flatMap((l, i) => l.skips.map((s) => [s.from, i + 1] as [number, number]));
  const last = layers[layers.length - 1].activation;
  const spec: MLPSpec = {
    sizes: [n0, ...layers.map((l) => l.nOut)],
    activations: layers.map((l) => l.activation),
    loss: last === 'softmax' ? 'ce' : 'mse',
    ...(skips.length ? { skips } : {}),
  };
  validateSpec(spec, source);
  return spec;
}

/** The flat parameter vector in shardgrad's layout (docs/design.md): per layer W, its skip blocks, b. */
function paramsOf(spec: MLPSpec, layers: BuiltLayer[]): Float32Array {
  const layout = specLayout(spec);
  const params = new Float32Array(layout.total);
  layers.forEach((layer, l) => {
    params.set(layer.main.W, layout.layers[l].w);
    layout.skipsInto[l].forEach((s, i) => params.set(layer.skips[i].W, layout.skips[s].w));
    params.set(layer.b, layout.layers[l].b);
  });
  return params;
}

/** The "shardgrad" metadata entry a shardgrad export writes (spec, preprocessing, meta), if present and readable. */
function shardgradMetadata(model: OnnxTypes.ModelProto): { preprocess?: Preprocess; meta?: Record<string, unknown> } {
  const entry = model.metadataProps.find((p) => p.key === METADATA_KEY);
  if (!entry?.value) return {};
  try {
    const parsed = JSON.parse(entry.value) as { preprocess?: Preprocess; meta?: Record<string, unknown> };
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * The input scaling as shardgrad preprocessing. The graph is authoritative: the preprocessing a
 * shardgrad export recorded in its metadata (float64 numbers) is used only when it rounds to exactly
 * the graph's float32 Sub/Div values; otherwise the scaling becomes standardize (x − shift)/scale.
 */
function preprocessOf(raw: Raw | undefined, n0: number, recorded: { preprocess?: Preprocess }, bad: (p: string) => Error): Preprocess {
  if (!raw || (!raw.shift && !raw.scale)) return { kind: 'none' };
  const widen = (v: Float32Array | undefined, fallback: number, what: string): number[] => {
    if (!v) return new Array<number>(n0).fill(fallback);
    if (v.length !== n0 && v.length !== 1) throw bad(`the input ${what} has ${v.length} values for ${n0} features`);
    return Array.from({ length: n0 }, (_, j) => v[v.length === 1 ? 0 : j]);
  };
  const shift = widen(raw.shift, 0, 'shift (Sub)');
  const scale = widen(raw.scale, 1, 'scale (Div)');
  const p = recorded.preprocess;
  if (p && (p.kind === 'standardize' || p.kind === 'minmax')) {
    const s = shiftAndScaleOrUndefined(p);
    if (s && s.shift.length === n0 && s.shift.every((x, j) => Math.fround(x) === shift[j]) && s.scale.every((x, j) => Math.fround(x) === scale[j])) return p;
  }
  if (![...shift, ...scale].every(Number.isFinite)) throw bad('the input scaling (Sub/Div) has a value that is not a finite number');
  return { kind: 'standardize', mean: shift, std: scale };
}

/** shiftAndScale of a preprocessing read from metadata, if its vectors are lists of finite numbers. */
function shiftAndScaleOrUndefined(p: Preprocess): { shift: number[]; scale: number[] } | undefined {
  const vectors = p.kind === 'standardize' ? [p.mean, p.std] : p.kind === 'minmax' ? [p.min, p.max] : [];
  const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (vectors.length !== 2 || !vectors.every(numbers) || vectors[0].length !== vectors[1].length) return undefined;
  return shiftAndScale(p);
}

function metaOf(model: OnnxTypes.ModelProto, source: string): Record<string, unknown> {
  const recorded = shardgradMetadata(model).meta;
  const meta = typeof recorded === 'object' && recorded !== null && !Array.isArray(recorded) ? recorded : {};
  return { ...meta, importedFrom: { file: source, producer: model.producerName || null, opset: Number(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0) } };
}
