import { errors, Rng, shuffleInPlace } from '@shardgrad/core';
import { iota, type Dataset } from './dataset.js';

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

/** Rows [0, n − round(n·fraction)) train, the rest test (by default the last fifth). */
export function heldOutSplit(n: number, fraction: number = SPLIT.testFraction): { trainRows: Uint32Array; testRows: Uint32Array } {
  const nTest = Math.round(n * fraction);
  return { trainRows: iota(n - nTest), testRows: iota(nTest, n - nTest) };
}

/**
 * The dataset with `fraction` of its rows held out instead of its loader's share (`--test-split`).
 * Every loader places a single source's rows in one seeded order with the held-out rows last, so
 * this keeps that order and moves the cut. Data whose test rows come from a separate file cannot be
 * re-split.
 */
export function withTestFraction(data: Dataset, fraction: number): Dataset {
  if (data.separateTest) throw errors.badInput('--test-split', `does not apply: the test rows of ${data.name} come from a separate file`);
  return { ...data, ...heldOutSplit(data.rows, fraction) };
}
