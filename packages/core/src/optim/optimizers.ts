import type { FloatArray } from '../kernels/kernels.js';

/**
 * Optimizers over an index range [p0, p1) of the flat parameter vector, so that each worker can
 * update its own slice. State lives in one flat vector of `stateSlots(kind) × P` floats: slot s of
 * parameter i is state[s·P + i]. `g` holds the already averaged gradient.
 *
 * - sgd:       θ ← θ − η·g
 * - momentum:  u ← μ·u + g;            θ ← θ − η·u            (PyTorch's convention)
 * - nesterov:  u ← μ·u + g;            θ ← θ − η·(g + μ·u)
 * - adam:      m ← β₁m + (1−β₁)g; s ← β₂s + (1−β₂)g²; θ ← θ − η·m̂/(√ŝ + ε), m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ)
 * Weight decay (L2) adds λ·θ to g first.
 */
export type OptimizerKind = 'sgd' | 'momentum' | 'nesterov' | 'adam';
export const OPTIMIZERS: readonly OptimizerKind[] = ['sgd', 'momentum', 'nesterov', 'adam'];

export interface OptimizerConfig {
  readonly kind: OptimizerKind;
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export function optimizerConfig(kind: OptimizerKind, overrides: Partial<Omit<OptimizerConfig, 'kind'>> = {}): OptimizerConfig {
  return { kind, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...overrides };
}

/** Floats of optimizer state per parameter. */
export function stateSlots(kind: OptimizerKind): number {
  return kind === 'sgd' ? 0 : kind === 'adam' ? 2 : 1;
}

/**
 * One update of θ[p0:p1) with gradient g[p0:p1) at learning rate `lr`; `t` is the 1-based step
 * count (Adam's bias correction). P is the full parameter count (state slot stride).
 */
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
  const wd = cfg.weightDecay;
  switch (cfg.kind) {
    case 'sgd':
      for (let i = p0; i < p1; i++) theta[i] -= lr * (g[i] + wd * theta[i]);
      return;
    case 'momentum': {
      const mu = cfg.momentum;
      for (let i = p0; i < p1; i++) {
        const u = mu * state[i] + g[i] + wd * theta[i];
        state[i] = u;
        theta[i] -= lr * u;
      }
      return;
    }
    case 'nesterov': {
      const mu = cfg.momentum;
      for (let i = p0; i < p1; i++) {
        const gi = g[i] + wd * theta[i];
        const u = mu * state[i] + gi;
        state[i] = u;
        theta[i] -= lr * (gi + mu * u);
      }
      return;
    }
    case 'adam': {
      const { beta1: b1, beta2: b2, eps } = cfg;
      const c1 = 1 / (1 - Math.pow(b1, t));
      const c2 = 1 / (1 - Math.pow(b2, t));
      for (let i = p0; i < p1; i++) {
        const gi = g[i] + wd * theta[i];
        const m = b1 * state[i] + (1 - b1) * gi;
        const s = b2 * state[P + i] + (1 - b2) * gi * gi;
        state[i] = m;
        state[P + i] = s;
        theta[i] -= (lr * (m * c1)) / (Math.sqrt(s * c2) + eps);
      }
      return;
    }
  }
}
