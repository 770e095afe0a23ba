import { loadDataset, makeSynthetic, SYNTHETIC_NAMES, type Dataset } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';

function classOf(ds: Dataset, r: number): number {
  for (let k = 0; k < ds.outputs; k++) if (ds.Y[r * ds.outputs + k] === 1) return k;
  throw new Error(`row ${r} has no class`);
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer);
}

describe('built-in 2D sets', () => {
  it.each([
    ['xor', 2],
    ['circles', 2],
    ['spiral', 2],
    ['blobs', 3],
  ] as const)('%s: 600 samples of 2 inputs, %i balanced classes, 480 train + 120 test, in shared buffers', (name, classes) => {
    const ds = loadDataset({ kind: 'synthetic', name }, 7);
    expect([ds.rows, ds.inputs, ds.outputs, ds.task, ds.name]).toEqual([600, 2, classes, 'classification', name]);
    expect([ds.trainRows.length, ds.testRows.length, ds.trainRows[0], ds.testRows[0]]).toEqual([480, 120, 0, 480]);
    const counts = new Array<number>(classes).fill(0);
    for (let r = 0; r < 600; r++) {
      counts[classOf(ds, r)]++;
      let ones = 0;
      for (let k = 0; k < classes; k++) ones += ds.Y[r * classes + k];
      expect(ones).toBe(1);
    }
    expect(counts).toEqual(new Array<number>(classes).fill(600 / classes));
    expect(ds.X.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.Y.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.X.every(Number.isFinite)).toBe(true);
  });

  it.each(SYNTHETIC_NAMES)('%s: the same seed gives the same bytes, another seed different ones', (name) => {
    const a = makeSynthetic(name, 42);
    const b = makeSynthetic(name, 42);
    const c = makeSynthetic(name, 43);
    expect(bytes(a.X).equals(bytes(b.X))).toBe(true);
    expect(bytes(a.Y).equals(bytes(b.Y))).toBe(true);
    expect(bytes(a.X).equals(bytes(c.X))).toBe(false);
  });

  it('circles: the two classes lie on separate rings (radius 0.5 and 1, noise 0.05)', () => {
    for (const seed of [1, 2, 3]) {
      const ds = makeSynthetic('circles', seed);
      const radii: number[][] = [[], []];
      for (let r = 0; r < ds.rows; r++) radii[classOf(ds, r)].push(Math.hypot(ds.X[2 * r], ds.X[2 * r + 1]));
      // 0.75 is 5 noise standard deviations from either ring
      expect(Math.max(...radii[0])).toBeLessThan(0.75);
      expect(Math.min(...radii[1])).toBeGreaterThan(0.75);
      // mean radius within 0.01 of the ring (standard error 0.05/√300 ≈ 0.003)
      const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
      expect(Math.abs(mean(radii[0]) - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(mean(radii[1]) - 1)).toBeLessThan(0.01);
    }
  });

  it('circles with noise 0 are exact rings', () => {
    const ds = makeSynthetic('circles', 5, { noise: 0, samples: 40 });
    for (let r = 0; r < ds.rows; r++) expect(Math.hypot(ds.X[2 * r], ds.X[2 * r + 1])).toBeCloseTo(classOf(ds, r) === 0 ? 0.5 : 1, 6);
  });

  it('xor: class 1 lies where x·y < 0, class 0 where x·y > 0 (clusters at ±1, noise 0.3)', () => {
    const ds = makeSynthetic('xor', 11);
    let agree = 0;
    const quadrants = new Set<string>();
    for (let r = 0; r < ds.rows; r++) {
      const x = ds.X[2 * r];
      const y = ds.X[2 * r + 1];
      if ((x * y < 0 ? 1 : 0) === classOf(ds, r)) agree++;
      quadrants.add(`${Math.sign(x)},${Math.sign(y)}`);
    }
    // a point leaves its quadrant with probability < 2·P(N(0,1) > 3.33) ≈ 0.0009
    expect(agree / ds.rows).toBeGreaterThan(0.98);
    expect(quadrants.size).toBe(4);
  });

  it('blobs: each class gathers around (2 cos 2πk/C, 2 sin 2πk/C)', () => {
    const ds = makeSynthetic('blobs', 3, { classes: 4, samples: 800 });
    expect(ds.outputs).toBe(4);
    const sum = Array.from({ length: 4 }, () => [0, 0, 0]);
    for (let r = 0; r < ds.rows; r++) {
      const s = sum[classOf(ds, r)];
      s[0] += ds.X[2 * r];
      s[1] += ds.X[2 * r + 1];
      s[2]++;
    }
    // centers at angles 0, π/2, π, 3π/2 on radius 2; standard error 0.5/√200 ≈ 0.035
    const centers = [[2, 0], [0, 2], [-2, 0], [0, -2]];
    sum.forEach(([sx, sy, n], k) => {
      expect(n).toBe(200);
      expect(Math.abs(sx / n - centers[k][0])).toBeLessThan(0.15);
      expect(Math.abs(sy / n - centers[k][1])).toBeLessThan(0.15);
    });
  });

  it('spiral: arm k at radius t has angle 2πk/C + 4t, up to the angular noise (0.2)', () => {
    const ds = loadDataset({ kind: 'synthetic', name: 'spiral', classes: 3, samples: 900 }, 9);
    expect([ds.rows, ds.outputs]).toEqual([900, 3]);
    let residual = 0;
    for (let r = 0; r < ds.rows; r++) {
      const x = ds.X[2 * r];
      const y = ds.X[2 * r + 1];
      const t = Math.hypot(x, y);
      expect(t).toBeLessThan(1);
      const want = (2 * Math.PI * classOf(ds, r)) / 3 + 4 * t;
      const d = Math.atan2(y, x) - want;
      residual += Math.abs(Math.atan2(Math.sin(d), Math.cos(d))); // wrapped to (−π, π]
    }
    // mean |N(0, 0.2)| = 0.2·√(2/π) ≈ 0.16
    expect(residual / ds.rows).toBeGreaterThan(0.12);
    expect(residual / ds.rows).toBeLessThan(0.2);
  });
});
