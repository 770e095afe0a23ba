import { errors } from '../errors.js';
import type { FloatArray } from '../kernels/float-array.js';

/**
 * Optimizers, each defined once: its name, its state slots, the constants it reads (with its own
 * defaults) and its update in the plain form below, which defines the exact result. The fast
 * forms (the wasm SIMD pass, reached through Kernels.finishUpdate) implement these rules and are
 * tested bit for bit against them (packages/core/test/tree-kernels.test.ts runs every registered
 * optimizer). An update covers an index range [p0, p1) of the flat parameter vector, so that each
 * worker updates its own slice. State lives in one flat vector of `stateSlots(kind) × P` floats:
 * slot s of parameter i is state[s·P + i]. The arithmetic is float64; θ and the state are stored
 * (rounded to float32 in training) at the points written below, and every fast form stores at the
 * same points.
 *
 * Adding an optimizer: its entry in OPTIMIZER_DEFINITIONS, and its pass in packages/core/assembly/
 * optimizers.ts (exported as `finish_<name>`; without it the wasm kernels decline and the plain form
 * runs, with the same bits, slower). docs/design.md, "Adding an optimizer or activation".
 */

/** The constants an optimizer may read; each definition lists the ones it does. */
export interface OptimizerConstants {
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/**
 * One update of θ[p0:p1) with the averaged gradient avg[p0:p1) at learning rate `lr`; `t` is the
 * 1-based step count (bias corrections). θ and the state are read from `theta` / `state` and written
 * to `thetaOut` / `stateOut`: the same arrays for an update in place, or others (the state with the
 * same stride P). Each parameter's reads come before its writes, so aliasing is safe.
 */
export interface OptimizerUpdate {
  /** ḡ, the averaged gradient */
  readonly avg: FloatArray;
  readonly theta: FloatArray;
  readonly state: FloatArray;
  readonly thetaOut: FloatArray;
  readonly stateOut: FloatArray;
  /** the full parameter count: the stride between state slots */
  readonly P: number;
  readonly p0: number;
  readonly p1: number;
  readonly lr: number;
  readonly t: number;
}

export interface OptimizerDefinition {
  /** one line, for --help and the docs */
  readonly description: string;
  /** floats of state per parameter */
  readonly stateSlots: number;
  /** the constants the update reads (a front end offers a setting for each) */
  readonly constants: readonly (keyof OptimizerConstants)[];
  /** defaults of its own, over COMMON_DEFAULTS */
  readonly defaults?: Partial<OptimizerConstants>;
  /** the plain update: the definition of the exact result */
  update(c: OptimizerConfig, u: OptimizerUpdate): void;
}

/** The constants' defaults where a definition names none of its own. */
export const OPTIMIZER_DEFAULTS: OptimizerConstants = { momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** 1/(1 − βᵗ): Adam's bias correction, computed the same way by every form. */
export function biasCorrection(beta: number, t: number): number {
  return 1 / (1 - Math.pow(beta, t));
}

export const OPTIMIZER_DEFINITIONS = {
  /** θ ← θ − η·(g + λθ) */
  sgd: {
    description: 'plain SGD: θ ← θ − η·(g + λθ)',
    stateSlots: 0,
    constants: ['weightDecay'],
    update(c, { avg: g, theta, thetaOut, p0, p1, lr }) {
      const wd = c.weightDecay;
      for (let i = p0; i < p1; i++) {
        const th = theta[i];
        thetaOut[i] = th - lr * (g[i] + wd * th);
      }
    },
  },
  /** u ← μ·u + g + λθ; θ ← θ − η·u (PyTorch's convention) */
  momentum: {
    description: 'SGD with momentum (PyTorch convention): u ← μu + g + λθ, θ ← θ − ηu',
    stateSlots: 1,
    constants: ['momentum', 'weightDecay'],
    update(c, { avg: g, theta, state, thetaOut, stateOut, p0, p1, lr }) {
      const { momentum: mu, weightDecay: wd } = c;
      for (let i = p0; i < p1; i++) {
        const th = theta[i];
        const u = mu * state[i] + g[i] + wd * th;
        stateOut[i] = u;
        thetaOut[i] = th - lr * u;
      }
    },
  },
  /** u ← μ·u + g̃; θ ← θ − η·(g̃ + μ·u), g̃ = g + λθ */
  nesterov: {
    description: 'Nesterov momentum: u ← μu + g̃, θ ← θ − η(g̃ + μu), g̃ = g + λθ',
    stateSlots: 1,
    constants: ['momentum', 'weightDecay'],
    update(c, { avg: g, theta, state, thetaOut, stateOut, p0, p1, lr }) {
      const { momentum: mu, weightDecay: wd } = c;
      for (let i = p0; i < p1; i++) {
        const th = theta[i];
        const gi = g[i] + wd * th;
        const u = mu * state[i] + gi;
        stateOut[i] = u;
        thetaOut[i] = th - lr * (gi + mu * u);
      }
    },
  },
  /** m ← β₁m + (1−β₁)g̃; s ← β₂s + (1−β₂)g̃²; θ ← θ − η·m̂/(√ŝ + ε), m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ), g̃ = g + λθ (L2) */
  adam: {
    description: 'Adam (Kingma & Ba 2015); weight decay as L2, added to the gradient',
    stateSlots: 2,
    constants: ['beta1', 'beta2', 'eps', 'weightDecay'],
    update(c, { avg: g, theta, state, thetaOut, stateOut, P, p0, p1, lr, t }) {
      const { beta1: b1, beta2: b2, eps, weightDecay: wd } = c;
      const c1 = biasCorrection(b1, t);
      const c2 = biasCorrection(b2, t);
      for (let i = p0; i < p1; i++) {
        const th = theta[i];
        const gi = g[i] + wd * th;
        const m = b1 * state[i] + (1 - b1) * gi;
        const s = b2 * state[P + i] + (1 - b2) * gi * gi;
        stateOut[i] = m;
        stateOut[P + i] = s;
        thetaOut[i] = th - (lr * (m * c1)) / (Math.sqrt(s * c2) + eps);
      }
    },
  },
  /**
   * Adam with decoupled weight decay (Loshchilov & Hutter 2019), as torch.optim.AdamW:
   * θ ← θ·(1 − ηλ) − η·m̂/(√ŝ + ε), m and s from g alone.
   */
  adamw: {
    description: 'AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay θ ← θ(1 − ηλ), as torch.optim.AdamW',
    stateSlots: 2,
    constants: ['beta1', 'beta2', 'eps', 'weightDecay'],
    defaults: { weightDecay: 0.01 },
    update(c, { avg: g, theta, state, thetaOut, stateOut, P, p0, p1, lr, t }) {
      const { beta1: b1, beta2: b2, eps, weightDecay: wd } = c;
      const c1 = biasCorrection(b1, t);
      const c2 = biasCorrection(b2, t);
      const keep = 1 - lr * wd;
      for (let i = p0; i < p1; i++) {
        const gi = g[i];
        const m = b1 * state[i] + (1 - b1) * gi;
        const s = b2 * state[P + i] + (1 - b2) * gi * gi;
        stateOut[i] = m;
        stateOut[P + i] = s;
        thetaOut[i] = theta[i] * keep - (lr * (m * c1)) / (Math.sqrt(s * c2) + eps);
      }
    },
  },
} as const satisfies Record<string, OptimizerDefinition>;

export type OptimizerKind = keyof typeof OPTIMIZER_DEFINITIONS;
/** Every registered optimizer, in registry order. */
export const OPTIMIZERS = Object.keys(OPTIMIZER_DEFINITIONS) as readonly OptimizerKind[];

export interface OptimizerConfig extends OptimizerConstants {
  readonly kind: OptimizerKind;
}

/** Whether `kind` names a registered optimizer. */
export function isOptimizerKind(kind: unknown): kind is OptimizerKind {
  return typeof kind === 'string' && Object.hasOwn(OPTIMIZER_DEFINITIONS, kind);
}

/** The definition of `kind`; an unknown kind is an error (field `optimizer`), never a fall-through. */
export function optimizerDefinition(kind: string): OptimizerDefinition {
  if (!isOptimizerKind(kind)) throw errors.badInput('optimizer', `unknown optimizer ${JSON.stringify(kind)} (expected ${OPTIMIZERS.join(', ')})`);
  return OPTIMIZER_DEFINITIONS[kind];
}

/** A full configuration: the overrides, then the optimizer's own defaults, then the common ones. */
export function optimizerConfig(kind: OptimizerKind, overrides: Partial<OptimizerConstants> = {}): OptimizerConfig {
  return { kind, ...OPTIMIZER_DEFAULTS, ...optimizerDefinition(kind).defaults, ...overrides };
}

/** Floats of optimizer state per parameter. */
export function stateSlots(kind: OptimizerKind): number {
  return optimizerDefinition(kind).stateSlots;
}

/** One in-place update of θ[p0:p1) (and the state) by the plain rule of `cfg.kind`; P is the state slot stride. */
export function optimizerStep(
  cfg: OptimizerConfig,
  theta: FloatArray,
  g: FloatArray,
  state: FloatArray,
  P: number,
  p0: number,
  p1: number,
  lr: number,
  t: number,
): void {
  optimizerDefinition(cfg.kind).update(cfg, { avg: g, theta, state, thetaOut: theta, stateOut: state, P, p0, p1, lr, t });
}
