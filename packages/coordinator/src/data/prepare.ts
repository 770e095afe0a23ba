import { applyPreprocess, fitPreprocess, type Preprocess } from '@shardgrad/core';
import type { Dataset } from './dataset.js';

/** Whether rows are exactly 0, 1, …, n−1: then the fit can read X in place. */
function isLeadingBlock(rows: Uint32Array): boolean {
  for (let i = 0; i < rows.length; i++) if (rows[i] !== i) return false;
  return true;
}

/**
 * Fits `kind` (standardize, minmax or none) on the training rows only and applies it in place to
 * every row of the shared X, so workers see scaled inputs without a copy (call it once per loaded
 * dataset). Returns the fitted Preprocess, to be saved with the model so prediction scales inputs
 * the same way. `trainRows` defaults to the dataset's training split; when the rows are the
 * leading block 0..n−1 (as every loader here arranges them) the fit reads X in place, otherwise it
 * gathers them once, in the order given.
 */
export function prepareInputs(dataset: Dataset, kind: Preprocess['kind'], trainRows: Uint32Array = dataset.trainRows): Preprocess {
  const D = dataset.inputs;
  let fitted: Preprocess;
  if (isLeadingBlock(trainRows)) {
    fitted = fitPreprocess(kind, dataset.X, trainRows.length, D);
  } else {
    const gathered = new Float32Array(trainRows.length * D); // (n_train, D), only for the fit
    for (let i = 0; i < trainRows.length; i++) gathered.set(dataset.X.subarray(trainRows[i] * D, trainRows[i] * D + D), i * D);
    fitted = fitPreprocess(kind, gathered, trainRows.length, D);
  }
  applyPreprocess(fitted, dataset.X, dataset.rows, D);
  return fitted;
}
