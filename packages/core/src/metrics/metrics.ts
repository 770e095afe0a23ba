import type { FloatArray } from '../kernels/kernels.js';

/** Index of the largest of n values starting at offset o (first one on ties). */
export function argmax(a: ArrayLike<number>, o: number, n: number): number {
  let best = 0;
  let bv = a[o];
  for (let j = 1; j < n; j++)
    if (a[o + j] > bv) {
      bv = a[o + j];
      best = j;
    }
  return best;
}

/** The class of one row of `width` values: the argmax, or for a single output unit, ≥ 0.5 → class 1. */
export function classOf(a: ArrayLike<number>, o: number, width: number): number {
  return width === 1 ? (a[o] >= 0.5 ? 1 : 0) : argmax(a, o, width);
}

/** Number of classes a network with `width` outputs distinguishes (a single unit is binary). */
export function classCount(width: number): number {
  return width === 1 ? 2 : width;
}

/**
 * A confusion matrix for `classes` classes: counts[true·classes + predicted]. Predictions and truths
 * are the classOf each row of outputs (R, width) and targets (R, width).
 */
export class ConfusionMatrix {
  readonly counts: Uint32Array;
  constructor(readonly classes: number) {
    this.counts = new Uint32Array(classes * classes);
  }
  reset(): void {
    this.counts.fill(0);
  }
  add(truth: number, predicted: number): void {
    this.counts[truth * this.classes + predicted]++;
  }
  addRows(outputs: FloatArray, targets: FloatArray, rows: number, width: number): void {
    for (let r = 0; r < rows; r++) this.add(classOf(targets, r * width, width), classOf(outputs, r * width, width));
  }
  get total(): number {
    let s = 0;
    for (const v of this.counts) s += v;
    return s;
  }
  get correct(): number {
    let s = 0;
    for (let k = 0; k < this.classes; k++) s += this.counts[k * this.classes + k];
    return s;
  }
  get accuracy(): number {
    const t = this.total;
    return t === 0 ? 0 : this.correct / t;
  }
  /** rows[true][predicted] as plain arrays, for printing and JSON. */
  toRows(): number[][] {
    return Array.from({ length: this.classes }, (_, k) => Array.from(this.counts.subarray(k * this.classes, (k + 1) * this.classes)));
  }
}
