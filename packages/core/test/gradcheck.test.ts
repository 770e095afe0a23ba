import { describe, expect, it } from 'vitest';
import { gradcheck, HIDDEN_ACTIVATIONS, initParams, paramLayout, Rng, type Activation, type Loss, type MLPSpec } from '../src/index.js';

/** Random inputs in [−1, 1]; targets one-hot (ce) or in [0, 1] (mse). */
function randomProblem(spec: MLPSpec, rows: number, seed: number) {
  const rng = new Rng(seed);
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  const X = Float64Array.from({ length: rows * n0 }, () => rng.uniform(-1, 1));
  const T = new Float64Array(rows * nL);
  for (let r = 0; r < rows; r++) {
    if (spec.loss === 'ce') T[r * nL + rng.int(nL)] = 1;
    else for (let k = 0; k < nL; k++) T[r * nL + k] = rng.next();
  }
  const params = new Float64Array(paramLayout(spec.sizes).total);
  initParams(params, paramLayout(spec.sizes), 'uniform', seed + 1, 0.8);
  // non-zero biases, so the bias gradients are exercised away from the symmetric start
  for (const s of paramLayout(spec.sizes).layers) for (let j = 0; j < s.nOut; j++) params[s.b + j] = rng.uniform(-0.5, 0.5);
  return { X, T, params };
}

/** every registered hidden activation (GELU's g′ included) */
const hidden = HIDDEN_ACTIVATIONS;
const heads: [Activation, Loss][] = [
  ['sigmoid', 'mse'],
  ['identity', 'mse'],
  ['tanh', 'mse'],
  ['relu', 'mse'],
  ['softmax', 'ce'],
];

describe('backprop agrees with central finite differences in float64', () => {
  for (const h of hidden)
    for (const [out, loss] of heads)
      it(`${h} hidden, ${out} output, ${loss} loss: |analytic − numeric| ≤ 1e-6·|gradient| + 1e-10`, () => {
        for (const [sizes, seed] of [
          [[3, 5, 4], 11],
          [[4, 6, 5, 3], 23],
        ] as const) {
          const spec: MLPSpec = { sizes, activations: sizes.slice(1).map((_, l) => (l === sizes.length - 2 ? out : h)), loss };
          const { X, T, params } = randomProblem(spec, 7, seed);
          // relative 1e-6, and an absolute 1e-10 for gradients near zero, where the central
          // differences' own rounding (~1e-12 absolute, h = 1e-5) is a large part of the value
          const r = gradcheck(spec, params, X, T, 7);
          for (let i = 0; i < r.analytic.length; i++)
            expect(Math.abs(r.analytic[i] - r.numeric[i]), `parameter ${i}: ${r.analytic[i]} vs ${r.numeric[i]}`).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(r.analytic[i]), Math.abs(r.numeric[i])) + 1e-10);
        }
      });
});

describe('gradcheck catches a wrong gradient', () => {
  it('softmax + cross-entropy with targets that do not sum to 1, where the fused ∂L/∂v = ŷ − t is wrong', () => {
    // one layer 2 → 2, the explain example of issue 13: W = [[0.1, 0.2], [0.3, −0.4]], b = 0,
    // x = (1, 2), t = (0.5, 0.2). L = −Σ t·log ŷ has ∂L/∂v = ŷ·Σt − t, and ŷ − t differs from it by
    // ŷ·(1 − Σt) = 0.3·ŷ: far above the tolerance
    const spec: MLPSpec = { sizes: [2, 2], activations: ['softmax'], loss: 'ce' };
    const params = Float64Array.from([0.1, 0.2, 0.3, -0.4, 0, 0]);
    const r = gradcheck(spec, params, Float64Array.from([1, 2]), Float64Array.from([0.5, 0.2]), 1);
    expect(r.maxRelativeError).toBeGreaterThan(0.1);
    // the central differences give the true gradient, worked out by hand: v = (0.7, −0.6),
    // ŷ = softmax(v), ∂L/∂W[i][j] = x_i·(ŷ_j·0.7 − t_j)
    const e0 = Math.exp(0.7);
    const e1 = Math.exp(-0.6);
    const y = [e0 / (e0 + e1), e1 / (e0 + e1)];
    const dv = [y[0] * 0.7 - 0.5, y[1] * 0.7 - 0.2];
    const truth = [1 * dv[0], 1 * dv[1], 2 * dv[0], 2 * dv[1], dv[0], dv[1]];
    truth.forEach((g, i) => expect(r.numeric[i]).toBeCloseTo(g, 8));
    expect(truth[0]).toBeCloseTo(0.0501, 4); // the figure
  });
});
