import { expect, it } from 'vitest';
import { erf } from '../src/activations/erf.js';

// erf(x) from CPython's math.erf (the C library's erf), one point in each range of the port
// (|x| < 2⁻²⁸, < 0.84375, < 1.25, < 1/0.35, < 6, ≥ 6) and on their edges
const PYTHON: [number, number][] = [
  [0.0, 0.0],
  [1e-30, 1.1283791670955127e-30],
  [1e-9, 1.1283791670955127e-9],
  [0.3, 0.3286267594591274],
  [-0.5, -0.5204998778130465],
  [0.84375, 0.7672256612323416],
  [1.0, 0.8427007929497149],
  [-1.2, -0.9103139782296353],
  [1.25, 0.9229001282564582],
  [2.0, 0.9953222650189527],
  [2.857142857142857, 0.9999466876886117],
  [3.5, 0.9999992569016276],
  [-4.0, -0.9999999845827421],
  [5.9, 0.9999999999999999],
  [6.0, 1.0],
  [27.0, 1.0],
];

it('erf matches the C library to within an ulp (relative 2.3e-16) in every range', () => {
  for (const [x, want] of PYTHON) expect(Math.abs(erf(x) - want), `erf(${x})`).toBeLessThanOrEqual(2.3e-16 * Math.abs(want));
});

it('erf is odd, ±1 at ±∞ and NaN at NaN', () => {
  for (const x of [0.1, 0.9, 2, 3.1, 7]) expect(erf(-x)).toBe(-erf(x));
  expect([erf(Infinity), erf(-Infinity)]).toEqual([1, -1]);
  expect(erf(Number.NaN)).toBeNaN();
});
