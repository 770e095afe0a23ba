import { Rng, shuffleInPlace } from '@shardgrad/core';
import { iota } from './dataset.js';

/**
 * The fixed held-out split used by every file loader: rows are placed in one seeded order that
 * never depends on the training seed, and the last fifth of that order is the test split, so every
 * run holds out the same rows.
 */
export const SPLIT = { seed: 1234, testFraction: 0.2 } as const;

/** Where each source record goes: record r is written to row `rowOf[r]` (a seeded permutation of 0..n−1). */
export function shuffledRowOf(n: number, seed: number = SPLIT.seed): Uint32Array {
  // order[i] = the record that lands in row i (as in mnist.ts); rowOf is its inverse
  const order = shuffleInPlace(iota(n), new Rng(seed));
  const rowOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) rowOf[order[i]] = i;
  return rowOf;
}

/** Rows [0, n − round(n/5)) train, the rest test. */
export function lastFifthSplit(n: number): { trainRows: Uint32Array; testRows: Uint32Array } {
  const nTest = Math.round(n * SPLIT.testFraction);
  return { trainRows: iota(n - nTest), testRows: iota(nTest, n - nTest) };
}
