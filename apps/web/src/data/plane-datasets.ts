import { Rng, shuffleInPlace } from '@shardgrad/core';
import type { PlaneDataset, WebDataset } from './dataset.js';

/**
 * The four 2D sets of the playground, seeded with core's Rng so a seed gives the same points on
 * every machine. Points lie in about [−1, 1]²; two classes, one-hot; `noise` is the standard
 * deviation of Gaussian jitter added to each coordinate. The rows are shuffled once (by the seed)
 * and the last `valFraction` become the validation split.
 */
export function planeDataset(name: PlaneDataset, rows: number, noise: number, seed: number, valFraction = 0.2): WebDataset {
  const rng = new Rng(seed);
  const X = new Float32Array(rows * 2); // (N, 2)
  const labels = new Uint8Array(rows); // (N)
  const point = GENERATORS[name];
  for (let i = 0; i < rows; i++) {
    const [x, y, c] = point(i, rows, rng);
    X[2 * i] = x + noise * rng.normal();
    X[2 * i + 1] = y + noise * rng.normal();
    labels[i] = c;
  }
  const perm = shuffleInPlace(Uint32Array.from({ length: rows }, (_, i) => i), rng);
  const Xs = new Float32Array(rows * 2);
  const Y = new Float32Array(rows * 2); // (N, 2) one-hot
  for (let i = 0; i < rows; i++) {
    const j = perm[i];
    Xs[2 * i] = X[2 * j];
    Xs[2 * i + 1] = X[2 * j + 1];
    Y[2 * i + labels[j]] = 1;
  }
  const trainRows = rows - Math.round(rows * valFraction);
  return { name, X: Xs, Y, rows, inputs: 2, classes: 2, trainRows };
}

/** Point i of n before noise: x, y and the class (0 or 1). */
type Generator = (i: number, n: number, rng: Rng) => [number, number, number];

const GENERATORS: Record<PlaneDataset, Generator> = {
  // class 1 where x and y have the same sign; kept 0.05 off the axes so the rule is unambiguous
  xor: (_i, _n, rng) => {
    const x = rng.uniform(0.05, 1) * (rng.next() < 0.5 ? -1 : 1);
    const y = rng.uniform(0.05, 1) * (rng.next() < 0.5 ? -1 : 1);
    return [x, y, x * y > 0 ? 1 : 0];
  },
  // even i: class 1 inside radius 0.5; odd i: class 0 in the ring 0.7 ≤ r ≤ 1
  circles: (i, _n, rng) => {
    const inner = i % 2 === 0;
    const r = inner ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
    const t = rng.uniform(0, 2 * Math.PI);
    return [r * Math.cos(t), r * Math.sin(t), inner ? 1 : 0];
  },
  // two interleaved arms, each 1.75 turns, radius growing linearly to 1; class = arm
  spiral: (i, n, _rng) => {
    const arm = i % 2;
    const k = Math.floor(i / 2);
    const per = Math.ceil(n / 2);
    const r = (k + 1) / per;
    const t = 1.75 * 2 * Math.PI * r + arm * Math.PI;
    return [r * Math.sin(t), r * Math.cos(t), arm];
  },
  // two Gaussian blobs, sd 0.25, around (−0.5, −0.5) for class 0 and (0.5, 0.5) for class 1
  blobs: (i, _n, rng) => {
    const c = i % 2;
    const m = c ? 0.5 : -0.5;
    return [m + 0.25 * rng.normal(), m + 0.25 * rng.normal(), c];
  },
};
