import { fitOnRows, iota, prepareInputs, sharedFloat32, type Dataset } from '@shardgrad/coordinator';
import { fitPreprocess } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';

/** Rows (1, 10), (3, 20), (5, 30) train and (100, −5) test: the test row is far off, so a fit that saw it would show. */
function smallDataset(): Dataset {
  const X = sharedFloat32(8);
  X.set([1, 10, 3, 20, 5, 30, 100, -5]);
  const Y = sharedFloat32(8);
  Y.set([1, 0, 0, 1, 1, 0, 0, 1]);
  return { name: 'small', task: 'classification', X, Y, rows: 4, inputs: 2, outputs: 2, trainRows: iota(3), testRows: iota(1, 3) };
}

describe('prepareInputs', () => {
  it('standardizes with the training rows only, in place on the shared X', () => {
    const ds = smallDataset();
    const buffer = ds.X.buffer;
    const p = prepareInputs(ds, 'standardize');
    // by hand: column 0 mean 3, std √(8/3); column 1 mean 20, std √(200/3) (population std)
    expect(p.kind).toBe('standardize');
    if (p.kind !== 'standardize') return;
    expect(p.mean).toEqual([3, 20]);
    expect(p.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(p.std[1]).toBeCloseTo(Math.sqrt(200 / 3), 6);
    expect(ds.X.buffer).toBe(buffer);
    // (1−3)/√(8/3) = −√1.5 ≈ −1.2247449; (100−3)/√(8/3) = 97·√(3/8) ≈ 59.400126; (−5−20)/√(200/3) ≈ −3.0618622
    const want = [-1.2247449, -1.2247449, 0, 0, 1.2247449, 1.2247449, 59.400126, -3.0618622];
    want.forEach((w, i) => expect(ds.X[i]).toBeCloseTo(w, 4));
  });

  it('min-max scales with the training rows only: test rows may fall outside [0, 1]', () => {
    const ds = smallDataset();
    const p = prepareInputs(ds, 'minmax');
    expect(p).toEqual({ kind: 'minmax', min: [1, 10], max: [5, 30] });
    // (100−1)/4 = 24.75, (−5−10)/20 = −0.75
    expect(Array.from(ds.X)).toEqual([0, 0, 0.5, 0.5, 1, 1, 24.75, -0.75]);
  });

  it('fits on any chosen training rows, not only a leading block', () => {
    const ds = smallDataset();
    const p = prepareInputs(ds, 'minmax', Uint32Array.from([3, 0]));
    expect(p).toEqual({ kind: 'minmax', min: [1, -5], max: [100, 10] });
    // row 1: (3−1)/99, (20+5)/15
    expect(ds.X[2]).toBeCloseTo(2 / 99, 6);
    expect(ds.X[3]).toBeCloseTo(25 / 15, 6);
  });

  it("'none' leaves X untouched", () => {
    const ds = smallDataset();
    expect(prepareInputs(ds, 'none')).toEqual({ kind: 'none' });
    expect(Array.from(ds.X)).toEqual([1, 10, 3, 20, 5, 30, 100, -5]);
  });
});

describe('fitting on chosen rows in place', () => {
  it('gives the bits of a fit on those rows gathered first, in their order (no copy of the rows)', () => {
    const N = 500;
    const D = 7;
    const X = new Float32Array(N * D);
    let s = 9;
    for (let i = 0; i < X.length; i++) X[i] = Math.fround(((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 200 - 90);
    const rows = Uint32Array.from({ length: 300 }, (_, i) => (i * 263) % N); // scattered, in no sorted order
    const gathered = new Float32Array(rows.length * D);
    rows.forEach((r, i) => gathered.set(X.subarray(r * D, r * D + D), i * D));
    for (const kind of ['standardize', 'minmax'] as const) expect(fitOnRows(kind, X, rows, D)).toEqual(fitPreprocess(kind, gathered, rows.length, D));
  });
});
