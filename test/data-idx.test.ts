import { gzipSync } from 'node:zlib';
import { IDX_MAGIC, loadDataset } from '@shardgrad/coordinator';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureDir, sortedPairs } from './fixtures/data/helpers.js';

const fx = fixtureDir();
afterAll(() => fx.remove());

// Written byte by byte: magic 00 00 08 03, then N=3, H=2, W=2 as big-endian uint32, then 12 pixels.
const imageBytes = Uint8Array.from([
  0x00, 0x00, 0x08, 0x03,
  0x00, 0x00, 0x00, 0x03,
  0x00, 0x00, 0x00, 0x02,
  0x00, 0x00, 0x00, 0x02,
  0, 255, 51, 102, // image 0
  255, 0, 0, 255, // image 1
  153, 204, 0, 51, // image 2
]);
// magic 00 00 08 01, N=3, labels 2, 0, 1
const labelBytes = Uint8Array.from([0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00, 0x03, 2, 0, 1]);
// pixels / 255: 51 → 0.2, 102 → 0.4, 153 → 0.6, 204 → 0.8 (rounded to float32)
const f = Math.fround;
const expected = [
  [[0, 1, f(0.2), f(0.4)], [0, 0, 1]],
  [[1, 0, 0, 1], [1, 0, 0]],
  [[f(0.6), f(0.8), 0, f(0.2)], [0, 1, 0]],
];

describe('IDX loading', () => {
  const images = fx.write('imgs-idx3-ubyte', imageBytes);
  const labels = fx.write('labels-idx1-ubyte', labelBytes);

  it('uses the standard magic numbers', () => {
    expect(IDX_MAGIC).toEqual({ images: 2051, labels: 2049 });
  });

  it('reads hand-written files back: pixels scaled to [0, 1], labels one-hot, in shared buffers', () => {
    const ds = loadDataset({ kind: 'idx', images, labels }, 1);
    expect([ds.rows, ds.inputs, ds.outputs, ds.task]).toEqual([3, 4, 3, 'classification']);
    expect(sortedPairs(ds.X, 4, ds.Y, 3)).toEqual(expected.map((p) => JSON.stringify(p)).sort());
    expect(ds.X.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.Y.buffer).toBeInstanceOf(SharedArrayBuffer);
    // one pair: the last fifth is held out, round(3 / 5) = 1 row
    expect(Array.from(ds.trainRows)).toEqual([0, 1]);
    expect(Array.from(ds.testRows)).toEqual([2]);
  });

  it('reads gzipped files the same way', () => {
    const gzImages = fx.write('imgs-idx3-ubyte.gz', gzipSync(imageBytes));
    const gzLabels = fx.write('labels-idx1-ubyte.gz', gzipSync(labelBytes));
    const plain = loadDataset({ kind: 'idx', images, labels }, 1);
    const gz = loadDataset({ kind: 'idx', images: gzImages, labels: gzLabels }, 1);
    expect(Buffer.from(gz.X.buffer).equals(Buffer.from(plain.X.buffer))).toBe(true);
    expect(Buffer.from(gz.Y.buffer).equals(Buffer.from(plain.Y.buffer))).toBe(true);
  });

  it('with a separate test pair keeps the standard split: train rows then test rows, in file order', () => {
    // test pair: 2 images [10, 20, 30, 40] and [255, 255, 255, 255] with labels 1 and 3 (so C = 4)
    const testImages = fx.write('t-imgs', Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 10, 20, 30, 40, 255, 255, 255, 255]));
    const testLabels = fx.write('t-labels', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 1, 3]));
    const ds = loadDataset({ kind: 'idx', images, labels, testImages, testLabels }, 1);
    expect([ds.rows, ds.inputs, ds.outputs]).toEqual([5, 4, 4]);
    expect(Array.from(ds.trainRows)).toEqual([0, 1, 2]);
    expect(Array.from(ds.testRows)).toEqual([3, 4]);
    expect(Array.from(ds.X)).toEqual([
      0, 1, f(0.2), f(0.4),
      1, 0, 0, 1,
      f(0.6), f(0.8), 0, f(0.2),
      f(10 / 255), f(20 / 255), f(30 / 255), f(40 / 255),
      1, 1, 1, 1,
    ]);
    expect(Array.from(ds.Y)).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  });
});
