import { describe, expect, it } from 'vitest';
import { learningRate, OPTIMIZERS, optimizerConfig, optimizerStep, stateSlots, type OptimizerConfig, type OptimizerKind } from '../src/index.js';

/** Two steps of each optimizer on θ = 1 with g = 0.5, η = 0.1; expected values worked by hand. */
function twoSteps(kind: OptimizerKind): [number, number] {
  const cfg = optimizerConfig(kind);
  const theta = new Float32Array([1, 7]);
  const g = new Float32Array([0.5, 100]);
  const state = new Float32Array(stateSlots(kind) * 2);
  const out: number[] = [];
  for (let t = 1; t <= 2; t++) {
    optimizerStep(cfg, theta, g, state, 2, 0, 1, 0.1, t); // only the slice [0, 1)
    out.push(theta[0]);
  }
  expect(theta[1]).toBe(7); // outside the slice: untouched
  return out as [number, number];
}

describe('optimizers over an index range', () => {
  it('sgd: θ − ηg = 0.95, 0.90', () => {
    const [a, b] = twoSteps('sgd');
    expect(a).toBeCloseTo(0.95, 6);
    expect(b).toBeCloseTo(0.9, 6);
  });
  it('momentum μ = 0.9: u = 0.5 → 0.95; u = 0.95 → 0.855', () => {
    const [a, b] = twoSteps('momentum');
    expect(a).toBeCloseTo(0.95, 6);
    expect(b).toBeCloseTo(0.855, 6);
  });
  it('nesterov μ = 0.9: 1 − 0.1(0.5 + 0.45) = 0.905; 0.905 − 0.1(0.5 + 0.855) = 0.7695', () => {
    const [a, b] = twoSteps('nesterov');
    expect(a).toBeCloseTo(0.905, 6);
    expect(b).toBeCloseTo(0.7695, 6);
  });
  it('adam: bias-corrected m̂ = 0.5, ŝ = 0.25 each step → 0.9, 0.8', () => {
    const [a, b] = twoSteps('adam');
    expect(a).toBeCloseTo(0.9, 6);
    expect(b).toBeCloseTo(0.8, 6);
  });
  it('adamw: decoupled decay θ(1 − ηλ), then the Adam step on g alone: 1·(1 − 0.1·0.1) − 0.1·0.5/0.5 = 0.89; λ = 0 is Adam', () => {
    const theta = new Float32Array([1]);
    const state = new Float32Array(2);
    optimizerStep(optimizerConfig('adamw', { weightDecay: 0.1 }), theta, new Float32Array([0.5]), state, 1, 0, 1, 0.1, 1);
    expect(theta[0]).toBeCloseTo(0.89, 6);
    expect(Array.from(state)).toEqual([Math.fround(0.05), Math.fround(0.00025)]); // m = (1 − β₁)g, s = (1 − β₂)g², not of g + λθ
    const [a, b] = twoSteps('adam');
    const adamwNoDecay = (() => {
      const th = new Float32Array([1]);
      const st = new Float32Array(2);
      return [1, 2].map((t) => (optimizerStep(optimizerConfig('adamw', { weightDecay: 0 }), th, new Float32Array([0.5]), st, 1, 0, 1, 0.1, t), th[0]));
    })();
    expect(adamwNoDecay).toEqual([a, b]);
  });
  it('the registry: adamw defaults to λ = 0.01 (torch.optim.AdamW), the others to 0; state slots 0, 1, 1, 2, 2', () => {
    expect(OPTIMIZERS).toEqual(['sgd', 'momentum', 'nesterov', 'adam', 'adamw']);
    expect(OPTIMIZERS.map((k) => optimizerConfig(k).weightDecay)).toEqual([0, 0, 0, 0, 0.01]);
    expect(OPTIMIZERS.map(stateSlots)).toEqual([0, 1, 1, 2, 2]);
  });
  it('an unknown kind is an error where it is read, never a fall-through', () => {
    const bad = { ...optimizerConfig('adam'), kind: 'rmsprop' } as unknown as OptimizerConfig;
    const msg = 'optimizer: unknown optimizer "rmsprop" (expected sgd, momentum, nesterov, adam, adamw)';
    expect(() => optimizerStep(bad, new Float32Array(1), new Float32Array(1), new Float32Array(2), 1, 0, 1, 0.1, 1)).toThrow(msg);
    expect(() => stateSlots('rmsprop' as OptimizerKind)).toThrow(msg);
  });
  it('weight decay adds λθ to the gradient: 1 − 0.1(0.5 + 0.1·1) = 0.94', () => {
    const theta = new Float32Array([1]);
    optimizerStep(optimizerConfig('sgd', { weightDecay: 0.1 }), theta, new Float32Array([0.5]), new Float32Array(0), 1, 0, 1, 0.1, 1);
    expect(theta[0]).toBeCloseTo(0.94, 6);
  });
});

describe('learning-rate schedules', () => {
  it('constant', () => expect(learningRate({ kind: 'constant' }, 0.3, 1000)).toBe(0.3));
  it('step: η·γ^⌊t/every⌋', () => {
    const s = { kind: 'step', every: 10, gamma: 0.5 } as const;
    expect(learningRate(s, 1, 9)).toBe(1);
    expect(learningRate(s, 1, 25)).toBe(0.25);
  });
  it('cosine: half way is the midpoint, the end is the floor', () => {
    const s = { kind: 'cosine', total: 100, minLr: 0.1 } as const;
    expect(learningRate(s, 1, 0)).toBeCloseTo(1, 12);
    expect(learningRate(s, 1, 50)).toBeCloseTo(0.55, 12);
    expect(learningRate(s, 1, 100)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 1, 500)).toBeCloseTo(0.1, 12);
  });
});
