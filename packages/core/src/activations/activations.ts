import { errors } from '../errors.js';
import type { FloatArray } from '../kernels/float-array.js';
import { erf } from './erf.js';

/**
 * Activations, each defined once: its g and g′ side by side (the lecture's y = g(v)), the loops
 * that apply them to a layer (the exact result every kernel reproduces: the fast kernels fuse only
 * identity and ReLU, and give these loops' bits), and how it is written in the export formats.
 * `softmax` is only allowed on the output layer together with cross-entropy, where the two are
 * fused (losses.ts), so it has no g′ of its own.
 *
 * Adding an activation: its entry in ACTIVATION_DEFINITIONS (every front end, the model files and
 * both exports read it from there). docs/design.md, "Adding an optimizer or activation".
 */

/** Builds ONNX nodes for an export (export-onnx.ts implements it); names are graph value names. */
export interface OnnxNodes {
  /** one node `op(inputs) → out` (a fresh name when out is omitted); returns out */
  node(op: string, inputs: readonly string[], out?: string, attributes?: Readonly<Record<string, number>>): string;
  /** a float32 scalar initializer with this value; returns its name */
  constant(value: number): string;
}

export interface ActivationDefinition {
  /** one line, for --help and the docs */
  readonly description: string;
  /** whether a hidden layer may use it (softmax: the output layer only) */
  readonly hidden: boolean;
  /** g(v) for one value (the teaching trace and tests use it); absent for softmax, which is per row */
  readonly g?: (v: number) => number;
  /** g′(v), given v and y = g(v) */
  readonly dg?: (v: number, y: number) => number;
  /** y = g(v) over rows·n values (softmax: per row of n); the loop that defines the bits */
  forward(y: FloatArray, v: FloatArray, rows: number, n: number): void;
  /** dv = dy ⊙ g′(v) over len values; absent for softmax (fused with cross-entropy) */
  readonly backward?: (dv: FloatArray, dy: FloatArray, v: FloatArray, y: FloatArray, len: number) => void;
  /** ONNX (opset 13): the nodes computing out from x; null: the identity, no node */
  readonly onnx: ((b: OnnxNodes, x: string, out: string) => void) | null;
  /** the Keras / TF.js layers activation name; null where no TF.js layers activation loads it */
  readonly tfjs: string | null;
}

const SQRT1_2 = Math.SQRT1_2;
/** 1/√(2π): the standard normal density's factor */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** √(2/π) and the cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel 2016) */
const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** GELU, exact: g = v·Φ(v) = ½v(1 + erf(v/√2)); g′ = Φ(v) + v·φ(v), φ(v) = e^{−v²/2}/√(2π). */
function gelu(v: number): number {
  return 0.5 * v * (1 + erf(v * SQRT1_2));
}
function geluDerivative(v: number): number {
  return 0.5 * (1 + erf(v * SQRT1_2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
}
/** GELU, tanh approximation: g = ½v(1 + tanh(u)), u = √(2/π)(v + 0.044715v³); g′ = ½(1 + t) + ½v(1 − t²)·√(2/π)(1 + 3·0.044715v²). */
function geluTanh(v: number): number {
  return 0.5 * v * (1 + Math.tanh(SQRT_2_PI * (v + GELU_C * v * v * v)));
}
function geluTanhDerivative(v: number): number {
  const t = Math.tanh(SQRT_2_PI * (v + GELU_C * v * v * v));
  return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_PI * (1 + 3 * GELU_C * v * v);
}

/**
 * A hidden activation given by its scalar g(v) and g′(v) alone: y = g(v) and dv = dy·g′(v), one
 * value at a time (the classic ones below keep the loops the lecture writes, from y where it does).
 */
function pointwise(g: (v: number) => number, dg: (v: number) => number) {
  return {
    hidden: true,
    g,
    dg: (v: number) => dg(v),
    forward(y: FloatArray, v: FloatArray, rows: number, n: number) {
      for (let i = 0, len = rows * n; i < len; i++) y[i] = g(v[i]);
    },
    backward(dv: FloatArray, dy: FloatArray, v: FloatArray, _y: FloatArray, len: number) {
      for (let i = 0; i < len; i++) dv[i] = dy[i] * dg(v[i]);
    },
  } as const;
}

export const ACTIVATION_DEFINITIONS = {
  sigmoid: {
    description: 'logistic sigmoid 1/(1 + e^−v); g′ = g(1 − g)',
    hidden: true,
    g: (v) => 1 / (1 + Math.exp(-v)),
    dg: (_v, y) => y * (1 - y),
    forward(y, v, rows, n) {
      for (let i = 0, len = rows * n; i < len; i++) y[i] = 1 / (1 + Math.exp(-v[i]));
    },
    backward(dv, dy, _v, y, len) {
      for (let i = 0; i < len; i++) dv[i] = dy[i] * y[i] * (1 - y[i]);
    },
    onnx: (b, x, out) => void b.node('Sigmoid', [x], out),
    tfjs: 'sigmoid',
  },
  relu: {
    description: 'max(v, 0); g′ = 1 for v > 0, 0 for v ≤ 0',
    hidden: true,
    g: (v) => (v > 0 ? v : 0),
    dg: (v) => (v > 0 ? 1 : 0),
    forward(y, v, rows, n) {
      for (let i = 0, len = rows * n; i < len; i++) y[i] = v[i] > 0 ? v[i] : 0;
    },
    backward(dv, dy, v, _y, len) {
      for (let i = 0; i < len; i++) dv[i] = v[i] > 0 ? dy[i] : 0;
    },
    onnx: (b, x, out) => void b.node('Relu', [x], out),
    tfjs: 'relu',
  },
  tanh: {
    description: 'tanh v; g′ = 1 − g²',
    hidden: true,
    g: (v) => Math.tanh(v),
    dg: (_v, y) => 1 - y * y,
    forward(y, v, rows, n) {
      for (let i = 0, len = rows * n; i < len; i++) y[i] = Math.tanh(v[i]);
    },
    backward(dv, dy, _v, y, len) {
      for (let i = 0; i < len; i++) dv[i] = dy[i] * (1 - y[i] * y[i]);
    },
    onnx: (b, x, out) => void b.node('Tanh', [x], out),
    tfjs: 'tanh',
  },
  identity: {
    description: 'v; g′ = 1',
    hidden: true,
    g: (v) => v,
    dg: () => 1,
    forward(y, v, rows, n) {
      for (let i = 0, len = rows * n; i < len; i++) y[i] = v[i];
    },
    backward(dv, dy, _v, _y, len) {
      for (let i = 0; i < len; i++) dv[i] = dy[i];
    },
    onnx: null,
    tfjs: 'linear',
  },
  gelu: {
    description: 'GELU, exact: v·Φ(v) = ½v(1 + erf(v/√2)), as torch.nn.GELU()',
    ...pointwise(gelu, geluDerivative),
    // ½·x·(1 + Erf(x/√2)): Erf is in ONNX since opset 9 (the Gelu op only since 20)
    onnx(b, x, out) {
      const cdf2 = b.node('Add', [b.node('Erf', [b.node('Div', [x, b.constant(Math.SQRT2)])]), b.constant(1)]);
      b.node('Mul', [b.node('Mul', [x, cdf2]), b.constant(0.5)], out);
    },
    tfjs: 'gelu',
  },
  'gelu-tanh': {
    description: "GELU, tanh approximation: ½v(1 + tanh(√(2/π)(v + 0.044715v³))), as torch.nn.GELU(approximate='tanh')",
    ...pointwise(geluTanh, geluTanhDerivative),
    onnx(b, x, out) {
      const cube = b.node('Mul', [b.node('Mul', [x, x]), x]);
      const inner = b.node('Mul', [b.node('Add', [x, b.node('Mul', [cube, b.constant(GELU_C)])]), b.constant(SQRT_2_PI)]);
      const onePlusT = b.node('Add', [b.node('Tanh', [inner]), b.constant(1)]);
      b.node('Mul', [b.node('Mul', [x, onePlusT]), b.constant(0.5)], out);
    },
    // TF.js registers its tanh GELU as "gelu_new", but a model.json names pass through camelCase
    // ("geluNew") when loaded, which it does not find (@tensorflow/tfjs 4.22): no TF.js export
    tfjs: null,
  },
  softmax: {
    description: 'softmax over the outputs of a row (output layer only, with cross-entropy)',
    hidden: false,
    forward(y, v, rows, n) {
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        let max = -Infinity;
        for (let j = 0; j < n; j++) if (v[o + j] > max) max = v[o + j];
        let sum = 0;
        for (let j = 0; j < n; j++) {
          const e = Math.exp(v[o + j] - max);
          y[o + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < n; j++) y[o + j] *= inv;
      }
    },
    onnx: (b, x, out) => void b.node('Softmax', [x], out, { axis: -1 }),
    tfjs: 'softmax',
  },
} as const satisfies Record<string, ActivationDefinition>;

export type Activation = keyof typeof ACTIVATION_DEFINITIONS;
/** Every registered activation, in registry order. */
export const ACTIVATIONS = Object.keys(ACTIVATION_DEFINITIONS) as readonly Activation[];
/** Activations a hidden layer may use. */
export const HIDDEN_ACTIVATIONS: readonly Activation[] = ACTIVATIONS.filter((a) => ACTIVATION_DEFINITIONS[a].hidden);

/** Whether `name` is a registered activation. */
export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && Object.hasOwn(ACTIVATION_DEFINITIONS, name);
}

/** The definition of `name`; an unknown name is an error (field `activation`). */
export function activationDefinition(name: string): ActivationDefinition {
  if (!isActivation(name)) throw errors.badInput('activation', `unknown activation ${JSON.stringify(name)} (expected ${ACTIVATIONS.join(', ')})`);
  return ACTIVATION_DEFINITIONS[name];
}

/** g(v) for one scalar; the teaching trace and tests use it. */
export function activate(kind: Exclude<Activation, 'softmax'>, v: number): number {
  return ACTIVATION_DEFINITIONS[kind].g(v);
}

/** g'(v) for one scalar, given v and y = g(v) (sigmoid and tanh are written from y, as the lecture does). */
export function derivative(kind: Exclude<Activation, 'softmax'>, v: number, y: number): number {
  return ACTIVATION_DEFINITIONS[kind].dg(v, y);
}

/** y = g(v) elementwise over rows·n values; softmax is applied per row of n values. */
export function activation_forward(kind: Activation, y: FloatArray, v: FloatArray, rows: number, n: number): void {
  activationDefinition(kind).forward(y, v, rows, n);
}

/** dv = dy ⊙ g'(v), the chain-rule factor ∂y/∂v applied elementwise. Not defined for softmax. */
export function activation_backward(kind: Activation, dv: FloatArray, dy: FloatArray, v: FloatArray, y: FloatArray, len: number): void {
  const backward = activationDefinition(kind).backward;
  if (backward === undefined) throw new Error(`${kind} backward exists only fused with cross-entropy`);
  backward(dv, dy, v, y, len);
}
