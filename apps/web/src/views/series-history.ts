/**
 * A bounded history of (x, y) points for a chart: when it is full, neighbouring pairs are merged
 * (x and y averaged), so a long run keeps its whole shape in `capacity` points.
 */
export class SeriesHistory {
  readonly xs: number[] = [];
  readonly ys: number[] = [];
  constructor(readonly capacity = 512) {
    if (capacity < 2 || capacity % 2) throw new Error('SeriesHistory capacity must be an even number ≥ 2');
  }

  push(x: number, y: number): void {
    if (this.xs.length === this.capacity) this.halve();
    this.xs.push(x);
    this.ys.push(y);
  }

  get length(): number {
    return this.xs.length;
  }

  get last(): number | undefined {
    return this.ys[this.ys.length - 1];
  }

  clear(): void {
    this.xs.length = 0;
    this.ys.length = 0;
  }

  private halve(): void {
    const n = this.xs.length / 2;
    for (let i = 0; i < n; i++) {
      this.xs[i] = (this.xs[2 * i] + this.xs[2 * i + 1]) / 2;
      this.ys[i] = (this.ys[2 * i] + this.ys[2 * i + 1]) / 2;
    }
    this.xs.length = n;
    this.ys.length = n;
  }
}

/** Chart scaling: the [min, max] of the y values of several series (a flat series gets ±0.5). */
export function yRange(series: readonly SeriesHistory[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const y of s.ys) if (Number.isFinite(y)) ((lo = Math.min(lo, y)), (hi = Math.max(hi, y)));
  if (lo === Infinity) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}
