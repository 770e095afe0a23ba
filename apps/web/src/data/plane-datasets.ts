import { makeSynthetic } from '@shardgrad/coordinator/run';
import type { PlaneDataset, WebDataset } from './dataset.js';

/** The boundary map draws P(class 1): every set of the page has two classes (`--data blobs:classes=2` in the CLI). */
const TWO_CLASSES = { classes: 2 };

/**
 * The four 2D sets of the playground: the CLI's own definitions (`--data xor|circles|spiral|blobs`,
 * @shardgrad/coordinator's makeSynthetic), so a seed gives the same points here and in
 * `shardgrad train`. Rows [0, trainRows) are the training split, the last fifth the validation split.
 */
export function planeDataset(name: PlaneDataset, seed: number): WebDataset {
  const d = makeSynthetic(name, seed, TWO_CLASSES);
  return { name, X: d.X, Y: d.Y, rows: d.rows, inputs: 2, classes: d.outputs, trainRows: d.trainRows.length };
}

/** Half the side of the square the boundary map shows: the data's largest |coordinate|, plus a margin. */
export function planeExtent(d: WebDataset): number {
  let m = 0;
  for (let i = 0; i < d.X.length; i++) m = Math.max(m, Math.abs(d.X[i]));
  return Math.ceil(m * 1.1 * 4) / 4;
}
