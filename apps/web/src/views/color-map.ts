/**
 * The diverging colour map of every view: −1 orange, 0 near-white, +1 blue (TensorFlow
 * Playground's colours), linear in between; values outside [−1, 1] are clamped.
 */
export const NEGATIVE: readonly [number, number, number] = [245, 147, 34];
export const ZERO: readonly [number, number, number] = [232, 234, 235];
export const POSITIVE: readonly [number, number, number] = [8, 119, 189];

/** Writes the colour of `value` as r, g, b into out[o..o+3). */
export function divergingRgb(value: number, out: Uint8ClampedArray | number[], o = 0): void {
  const v = value > 1 ? 1 : value < -1 ? -1 : Number.isNaN(value) ? 0 : value;
  const end = v < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(v);
  for (let k = 0; k < 3; k++) out[o + k] = Math.round(ZERO[k] + (end[k] - ZERO[k]) * a);
}

/** CSS colour of `value` (for edges and labels). */
export function divergingCss(value: number): string {
  const c = [0, 0, 0];
  divergingRgb(value, c);
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** The largest |a[i]| over several arrays (at least `floor`, so a zero matrix draws as zero). */
export function maxAbs(arrays: readonly ArrayLike<number>[], floor = 1e-12): number {
  let m = floor;
  for (const a of arrays) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
