/**
 * A dataset as the page holds it before it goes into the run's buffers: rows [0, trainRows) are
 * the training split, the rest the validation split. Targets are one-hot.
 */
export interface WebDataset {
  readonly name: DatasetName;
  /** X: (N, D) */
  readonly X: Float32Array;
  /** Y: (N, C) one-hot */
  readonly Y: Float32Array;
  readonly rows: number;
  readonly inputs: number;
  readonly classes: number;
  readonly trainRows: number;
}

export type DatasetName = 'xor' | 'circles' | 'spiral' | 'blobs' | 'mnist';
export const PLANE_DATASETS = ['xor', 'circles', 'spiral', 'blobs'] as const;
export type PlaneDataset = (typeof PLANE_DATASETS)[number];
