/** Points kept by default: the chart draws 60 columns, and runs up to this many steps keep every loss. */
export const LOSS_HISTORY_POINTS = 1 << 14;

/**
 * Every step's loss, downsampled to at most `capacity` points so memory does not grow with the
 * run: while there are fewer steps than that, each point is one step's loss; after, each point is
 * the mean of `span` consecutive steps (span doubles each time the points fill up, pairs merging).
 */
export class LossHistory {
  /** (capacity,) sum of the losses of each point's steps */
  private readonly sums: Float64Array;
  private full = 0; // points holding `span` steps
  private fill = 0; // steps in the point after them
  private span = 1;

  constructor(private readonly capacity: number = LOSS_HISTORY_POINTS) {
    if (capacity < 2 || capacity % 2 !== 0) throw new RangeError(`capacity must be an even number ≥ 2, got ${capacity}`);
    this.sums = new Float64Array(capacity);
  }

  add(loss: number): void {
    this.sums[this.full] += loss;
    if (++this.fill < this.span) return;
    this.fill = 0;
    if (++this.full < this.capacity) return;
    const half = this.capacity / 2;
    for (let i = 0; i < half; i++) this.sums[i] = this.sums[2 * i] + this.sums[2 * i + 1];
    this.sums.fill(0, half);
    this.full = half;
    this.span *= 2;
  }

  /** The points in step order: means of `span` steps each, the last of the steps since. */
  points(): number[] {
    const out = Array.from(this.sums.subarray(0, this.full), (s) => s / this.span);
    if (this.fill > 0) out.push(this.sums[this.full] / this.fill);
    return out;
  }
}
