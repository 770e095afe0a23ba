import { applyPreprocess, fitPreprocess, type Preprocess } from '@shardgrad/core';
import type { Dataset } from './dataset.js';

/**
 * Fits `kind` (standardize, minmax or none) on the training rows only and applies it in place to
 * every row of the shared X, so workers see scaled inputs without a copy (call it once per loaded
 * dataset). Returns the fitted Preprocess, to be saved with the model so prediction scales inputs
 * the same way. `trainRows` defaults to the dataset's training split; the fit reads them in place,
 * in the order given.
 */
export function prepareInputs(dataset: Dataset, kind: Preprocess['kind'], trainRows: Uint32Array = dataset.trainRows): Preprocess {
  const D = dataset.inputs;
  const fitted = fitPreprocess(kind, dataset.X, trainRows.length, D, trainRows);
  applyPreprocess(fitted, dataset.X, dataset.rows, D);
  return fitted;
}
