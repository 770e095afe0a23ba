import type { DataDescription } from '@shardgrad/core';

/**
 * A dataset loaded once into SharedArrayBuffers: workers read X and Y in place, never a copy.
 * Shape letters: N = rows, D = inputs, C = outputs (classes for classification).
 */
export interface Dataset {
  readonly name: string;
  readonly task: 'classification' | 'regression';
  /** X: (N, D) float32 over a SharedArrayBuffer */
  readonly X: Float32Array;
  /** Y: (N, C) float32 over a SharedArrayBuffer (one-hot for classification) */
  readonly Y: Float32Array;
  readonly rows: number;
  readonly inputs: number;
  readonly outputs: number;
  /** the held-out split fixed by the loader (e.g. MNIST's last fifth); may be empty */
  readonly trainRows: Uint32Array;
  readonly testRows: Uint32Array;
  /** the test rows come from a separate file (an IDX test pair, a CSV test file), not a held-out share */
  readonly separateTest?: boolean;
  /** class names, class k = classes[k] (a CSV with named labels); absent for class indices */
  readonly classes?: readonly string[];
  /** the header names of the input columns and of the target columns, when the file has a header */
  readonly inputColumns?: readonly string[];
  readonly targetColumns?: readonly string[];
  /** where the source's records went: record r (file order) is row fileOrder[r]; absent when the rows are in the source's order (or the source has none: mnist's fixed seeded order, the generated 2D sets) */
  readonly fileOrder?: Uint32Array;
}

/** A float32 array of `length` over a fresh SharedArrayBuffer (a plain ArrayBuffer in a page that has none). */
export function sharedFloat32(length: number): Float32Array {
  const bytes = length * Float32Array.BYTES_PER_ELEMENT;
  return new Float32Array(typeof SharedArrayBuffer === 'undefined' ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes));
}

/** 0, 1, …, n−1 as a Uint32Array. */
export function iota(n: number, from = 0): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = from + i;
  return a;
}

/** What a model trained on `d` should remember about it: the task, class names and column names. */
export function describeData(d: Dataset): DataDescription {
  return {
    task: d.task,
    ...(d.classes ? { classes: [...d.classes] } : {}),
    ...(d.inputColumns ? { inputColumns: [...d.inputColumns] } : {}),
    ...(d.targetColumns ? { targetColumns: [...d.targetColumns] } : {}),
  };
}
