import { describe, expect, it } from 'vitest';
import { digitToMnist } from '../src/views/digit-model.js';

const SIDE = 140;
function inkRect(x0: number, y0: number, w: number, h: number): Float32Array {
  const ink = new Float32Array(SIDE * SIDE);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) ink[y * SIDE + x] = 1;
  return ink;
}
function filled(out: Float32Array): { rows: number[]; cols: number[] } {
  const rows = new Set<number>();
  const cols = new Set<number>();
  for (let i = 0; i < 784; i++) if (out[i] > 0) (rows.add(Math.floor(i / 28)), cols.add(i % 28));
  return { rows: [...rows].sort((a, b) => a - b), cols: [...cols].sort((a, b) => a - b) };
}
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('drawn digit → MNIST input', () => {
  it('scales a 50 × 50 square to 20 × 20 and centres its mass at 13.5', () => {
    // scale 20/50; the 20 × 20 block's centre of mass is 9.5, so it moves by 13.5 − 9.5 = 4: rows and columns 4..23
    const out = new Float32Array(784);
    expect(digitToMnist(inkRect(10, 70, 50, 50), SIDE, out)).toBe(true);
    expect(filled(out)).toEqual({ rows: range(4, 24), cols: range(4, 24) });
    for (const r of range(4, 24)) for (const c of range(4, 24)) expect(out[r * 28 + c]).toBe(1);
  });

  it('keeps the aspect ratio of a tall stroke', () => {
    // 10 × 40: scale 0.5 → 5 × 20; centre of mass x = 2 → shift round(11.5) = 12: columns 12..16, rows 4..23
    const out = new Float32Array(784);
    digitToMnist(inkRect(100, 0, 10, 40), SIDE, out);
    expect(filled(out)).toEqual({ rows: range(4, 24), cols: range(12, 17) });
  });

  it('returns false and zeros for an empty pad', () => {
    const out = new Float32Array(784).fill(7);
    expect(digitToMnist(new Float32Array(SIDE * SIDE), SIDE, out)).toBe(false);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});
