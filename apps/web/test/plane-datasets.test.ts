import { describe, expect, it } from 'vitest';
import { PLANE_DATASETS } from '../src/data/dataset.js';
import { planeDataset } from '../src/data/plane-datasets.js';

const label = (Y: Float32Array, i: number) => (Y[2 * i + 1] === 1 ? 1 : 0);

describe('2D datasets', () => {
  it.each(PLANE_DATASETS)('%s: 600 one-hot rows, 480 for training, the same for the same seed', (name) => {
    const a = planeDataset(name, 600, 0.1, 7);
    expect([a.rows, a.inputs, a.classes, a.trainRows]).toEqual([600, 2, 2, 480]);
    for (let i = 0; i < 600; i++) expect(a.Y[2 * i] + a.Y[2 * i + 1]).toBe(1);
    expect(planeDataset(name, 600, 0.1, 7).X).toEqual(a.X);
    expect(planeDataset(name, 600, 0.1, 8).X).not.toEqual(a.X);
  });

  it('xor: class 1 exactly where x and y have the same sign (no noise)', () => {
    const d = planeDataset('xor', 400, 0, 1);
    for (let i = 0; i < 400; i++) expect(label(d.Y, i)).toBe(d.X[2 * i] * d.X[2 * i + 1] > 0 ? 1 : 0);
  });

  it('circles: class 1 inside radius 0.5, class 0 in the ring 0.7–1, half each (no noise)', () => {
    const d = planeDataset('circles', 400, 0, 1);
    let ones = 0;
    for (let i = 0; i < 400; i++) {
      const r = Math.hypot(d.X[2 * i], d.X[2 * i + 1]);
      if (label(d.Y, i)) (ones++, expect(r).toBeLessThanOrEqual(0.5 + 1e-6));
      else (expect(r).toBeGreaterThanOrEqual(0.7 - 1e-6), expect(r).toBeLessThanOrEqual(1 + 1e-6));
    }
    expect(ones).toBe(200);
  });

  it("spiral: two arms of 300 points in the unit disc; each point's nearest neighbour is on its own arm", () => {
    const d = planeDataset('spiral', 600, 0, 1);
    let ones = 0;
    for (let i = 0; i < 600; i++) {
      ones += label(d.Y, i);
      expect(Math.hypot(d.X[2 * i], d.X[2 * i + 1])).toBeLessThanOrEqual(1 + 1e-6);
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < 600; j++) {
        const dd = j === i ? Infinity : Math.hypot(d.X[2 * i] - d.X[2 * j], d.X[2 * i + 1] - d.X[2 * j + 1]);
        if (dd < bestD) ((bestD = dd), (best = j));
      }
      expect(label(d.Y, best)).toBe(label(d.Y, i));
    }
    expect(ones).toBe(300);
  });

  it('blobs: the classes centre near (−0.5, −0.5) and (0.5, 0.5)', () => {
    const d = planeDataset('blobs', 600, 0, 3);
    const sum = [
      [0, 0, 0],
      [0, 0, 0],
    ];
    for (let i = 0; i < 600; i++) {
      const s = sum[label(d.Y, i)];
      s[0] += d.X[2 * i];
      s[1] += d.X[2 * i + 1];
      s[2]++;
    }
    expect(sum[0][2]).toBe(300);
    // sd 0.25 over 300 points: the standard error of a mean is 0.25/√300 ≈ 0.014; 0.06 is > 4 of them
    for (const [c, m] of [
      [0, -0.5],
      [1, 0.5],
    ]) {
      expect(Math.abs(sum[c][0] / 300 - m)).toBeLessThan(0.06);
      expect(Math.abs(sum[c][1] / 300 - m)).toBeLessThan(0.06);
    }
  });
});
