import { describe, expect, it } from 'vitest';
import { gradcheck, initParams, paramLayout, Rng, type Activation, type Loss, type MLPSpec } from '../src/index.js';

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

const hidden: Activation[] = ['sigmoid', 'relu', 'tanh', 'identity'];
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
      it(`${h} hidden, ${out} output, ${loss} loss: max relative error < 1e-6`, () => {
        for (const [sizes, seed] of [
          [[3, 5, 4], 11],
          [[4, 6, 5, 3], 23],
        ] as const) {
          const spec: MLPSpec = { sizes, activations: sizes.slice(1).map((_, l) => (l === sizes.length - 2 ? out : h)), loss };
          const { X, T, params } = randomProblem(spec, 7, seed);
          const r = gradcheck(spec, params, X, T, 7);
          expect(r.maxRelativeError).toBeLessThan(1e-6);
          // the check itself can fail: a wrong gradient must be caught
          const broken = Float64Array.from(r.analytic);
          broken[0] *= 1.01;
          expect(Math.abs(broken[0] - r.numeric[0])).toBeGreaterThan(1e-6 * Math.abs(r.numeric[0]));
        }
      });
});
