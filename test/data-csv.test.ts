import { loadDataset, SPLIT } from '@shardgrad/coordinator';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureDir, rowsOf, sortedPairs } from './fixtures/data/helpers.js';

const fx = fixtureDir();
afterAll(() => fx.remove());

describe('CSV loading', () => {
  // label column named "label" in the middle; every value below is exact in float32
  const withHeader = fx.write('header.csv', 'x1,label,x2\n0.5,1,-2\n1.5,0,3e1\n-0.25,2,7\n4,1,0\n.5,0,-1.5\n');

  it('reads a header file exactly: inputs in file order, the "label" column one-hot, 5 rows → 4 train + 1 test', () => {
    const ds = loadDataset({ kind: 'csv', path: withHeader }, 1);
    expect([ds.rows, ds.inputs, ds.outputs, ds.task, ds.name]).toEqual([5, 2, 3, 'classification', 'header.csv']);
    expect(Array.from(ds.trainRows)).toEqual([0, 1, 2, 3]);
    expect(Array.from(ds.testRows)).toEqual([4]); // round(5 / 5) = 1 held out
    // by hand from the file: (x1, x2) and the one-hot of the label, C = 2 + 1
    const expected = [
      [[0.5, -2], [0, 1, 0]],
      [[1.5, 30], [1, 0, 0]],
      [[-0.25, 7], [0, 0, 1]],
      [[4, 0], [0, 1, 0]],
      [[0.5, -1.5], [1, 0, 0]],
    ]
      .map((p) => JSON.stringify(p))
      .sort();
    expect(sortedPairs(ds.X, 2, ds.Y, 3)).toEqual(expected);
  });

  it('puts X and Y in SharedArrayBuffers', () => {
    const ds = loadDataset({ kind: 'csv', path: withHeader }, 1);
    expect(ds.X.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.Y.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.X.length).toBe(5 * 2);
    expect(ds.Y.length).toBe(5 * 3);
  });

  it('places rows by the fixed split seed, not the training seed, and really shuffles them', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `${i},${i % 2}`).join('\n');
    const file = fx.write('fifty.csv', lines);
    const a = loadDataset({ kind: 'csv', path: file }, 1);
    const b = loadDataset({ kind: 'csv', path: file }, 99);
    expect(Buffer.from(a.X.buffer).equals(Buffer.from(b.X.buffer))).toBe(true);
    const order = Array.from(a.X); // x = the record's index
    expect([...order].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order).not.toEqual([...order].sort((p, q) => p - q));
    // every row keeps its own label: y = x mod 2
    for (let r = 0; r < 50; r++) expect(a.Y[r * 2 + (a.X[r] % 2)]).toBe(1);
    expect(a.trainRows.length).toBe(40);
    expect(a.testRows.length).toBe(10);
    expect(SPLIT).toEqual({ seed: 1234, testFraction: 0.2 });
  });

  it('without a header takes the last column as the label', () => {
    const file = fx.write('plain.csv', '1,2,0\n3,4,1\n\n5,6,1\n');
    const ds = loadDataset({ kind: 'csv', path: file }, 1);
    expect([ds.rows, ds.inputs, ds.outputs]).toEqual([3, 2, 2]);
    expect(sortedPairs(ds.X, 2, ds.Y, 2)).toEqual(
      [[[1, 2], [1, 0]], [[3, 4], [0, 1]], [[5, 6], [0, 1]]].map((p) => JSON.stringify(p)).sort(),
    );
  });

  it('with a header but no "label" column takes the last column', () => {
    const file = fx.write('species.csv', 'a,b,species\n1,2,1\n3,4,0\n');
    const ds = loadDataset({ kind: 'csv', path: file }, 1);
    expect(sortedPairs(ds.X, 2, ds.Y, 2)).toEqual([[[1, 2], [0, 1]], [[3, 4], [1, 0]]].map((p) => JSON.stringify(p)).sort());
  });

  it('chooses the label column by name or by 0-based index (also as a digit string)', () => {
    const file = fx.write('first.csv', 'cls,u,v\n2,0.25,8\n0,-1,9\n1,3,10\n');
    const expected = [[[0.25, 8], [0, 0, 1]], [[-1, 9], [1, 0, 0]], [[3, 10], [0, 1, 0]]].map((p) => JSON.stringify(p)).sort();
    for (const labelColumn of ['cls', 0, '0'] as const) {
      const ds = loadDataset({ kind: 'csv', path: file, labelColumn }, 1);
      expect(sortedPairs(ds.X, 2, ds.Y, 3)).toEqual(expected);
    }
  });

  it('reads an explicit header: false file whose first row would look like data anyway', () => {
    const file = fx.write('nohead.csv', '7,1\n8,0\n');
    const ds = loadDataset({ kind: 'csv', path: file, header: false }, 1);
    expect(sortedPairs(ds.X, 1, ds.Y, 2)).toEqual([[[7], [0, 1]], [[8], [1, 0]]].map((p) => JSON.stringify(p)).sort());
  });

  it('reads one-hot target columns as they are', () => {
    const file = fx.write('onehot.csv', 'x,c0,c1,c2\n1,0,0,1\n2,1,0,0\n3,0,1,0\n');
    const ds = loadDataset({ kind: 'csv', path: file, targetColumns: ['c0', 'c1', 'c2'] }, 1);
    expect([ds.inputs, ds.outputs, ds.task]).toEqual([1, 3, 'classification']);
    expect(sortedPairs(ds.X, 1, ds.Y, 3)).toEqual([[[1], [0, 0, 1]], [[2], [1, 0, 0]], [[3], [0, 1, 0]]].map((p) => JSON.stringify(p)).sort());
  });

  it('keeps regression targets raw: one target (the default column) or several chosen ones', () => {
    const file = fx.write('reg.csv', 'x,y1,y2\n1,-3.5,100\n2,0.125,-7\n');
    const one = loadDataset({ kind: 'csv', path: file, task: 'regression' }, 1);
    expect([one.task, one.inputs, one.outputs]).toEqual(['regression', 2, 1]);
    expect(sortedPairs(one.X, 2, one.Y, 1)).toEqual([[[1, -3.5], [100]], [[2, 0.125], [-7]]].map((p) => JSON.stringify(p)).sort());
    const two = loadDataset({ kind: 'csv', path: file, task: 'regression', targetColumns: [1, 'y2'] }, 1);
    expect([two.inputs, two.outputs]).toEqual([1, 2]);
    expect(sortedPairs(two.X, 1, two.Y, 2)).toEqual([[[1], [-3.5, 100]], [[2], [0.125, -7]]].map((p) => JSON.stringify(p)).sort());
  });

  it('puts each record in exactly one row (the split is a permutation, nothing duplicated or lost)', () => {
    const file = fx.write('ten.csv', Array.from({ length: 10 }, (_, i) => `${i * 10},${i % 3}`).join('\n'));
    const ds = loadDataset({ kind: 'csv', path: file }, 1);
    expect(rowsOf(ds.X, 1).flat().sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('accepts Windows line endings, a UTF-8 byte-order mark and quoted cells', () => {
    const file = fx.write('windows.csv', '\ufeffa,"b",label\r\n1,"2.5",0\r\n3,4,1\r\n');
    const ds = loadDataset({ kind: 'csv', path: file }, 1);
    expect(sortedPairs(ds.X, 2, ds.Y, 2)).toEqual([[[1, 2.5], [1, 0]], [[3, 4], [0, 1]]].map((p) => JSON.stringify(p)).sort());
  });
});
