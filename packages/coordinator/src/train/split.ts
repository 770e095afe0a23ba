import { deriveSeed, errors, Rng, SEED_STREAM, shuffleInPlace } from '@shardgrad/core';
import type { Dataset } from '../data/dataset.js';

export interface Split {
  /** training rows, in the dataset's order (the epoch shuffle starts from this) */
  readonly train: Uint32Array;
  /** validation rows */
  readonly val: Uint32Array;
}

/**
 * The rows to train and validate on. valSplit > 0 carves a seeded random fraction out of the
 * training rows (the test rows stay untouched); valSplit 0 validates on the dataset's test rows.
 * Throws naming the field batch when the batch does not fit the training rows.
 */
export function splitRows(data: Dataset, valSplit: number, seed: number, batch: number): Split {
  let train = data.trainRows;
  let val = data.testRows;
  if (valSplit > 0) {
    const nVal = Math.round(data.trainRows.length * valSplit);
    const picked = shuffleInPlace(Uint32Array.from(data.trainRows), new Rng(deriveSeed(seed, SEED_STREAM.data)));
    const isVal = new Set(picked.subarray(0, nVal));
    val = Uint32Array.from(data.trainRows.filter((r) => isVal.has(r)));
    train = Uint32Array.from(data.trainRows.filter((r) => !isVal.has(r)));
  }
  if (train.length === 0) throw errors.badSetting('valSplit', `leaves no training rows out of ${data.trainRows.length}`);
  if (batch > train.length) throw errors.badSetting('batch', `${batch} is larger than the ${train.length} training rows`);
  return { train, val };
}
