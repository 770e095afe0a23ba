import path from 'node:path';
import { errors } from '@shardgrad/core';
import { iota, sharedFloat32, type Dataset } from './dataset.js';
import { readMaybeGzipped } from './read-file.js';
import { heldOutSplit, shuffledRowOf } from './split.js';

/** IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions. */
export const IDX_MAGIC = { images: 0x00000803, labels: 0x00000801 } as const;

/** One IDX file's dimensions and where its element bytes start. */
interface IdxFile {
  readonly file: string;
  readonly bytes: Buffer;
  readonly dims: number[];
  readonly dataOffset: number;
}

/**
 * Reads an IDX header (big-endian magic, then one big-endian uint32 per dimension) and checks that
 * the element bytes are exactly as many as the dimensions promise.
 */
export function readIdx(file: string, expectedMagic: number, what: string): IdxFile {
  const bytes = readMaybeGzipped(file);
  const bad = (problem: string) => errors.badInput(file, problem);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  if (bytes.length < 4) throw bad(`truncated: ${bytes.length} bytes, too short for an IDX header`);
  const magic = bytes.readUInt32BE(0);
  if (magic !== expectedMagic) throw bad(`wrong magic number ${hex(magic)} (expected ${hex(expectedMagic)} for an IDX ${what} file)`);
  const ndims = expectedMagic & 0xff;
  const dataOffset = 4 + 4 * ndims;
  if (bytes.length < dataOffset) throw bad(`truncated: ${bytes.length} bytes, the IDX header needs ${dataOffset}`);
  const dims: number[] = [];
  for (let k = 0; k < ndims; k++) dims.push(bytes.readUInt32BE(4 + 4 * k));
  const expected = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - dataOffset;
  const promise = `the header promises ${ndims > 1 ? `${dims.join('×')} = ` : ''}${expected} data bytes, the file holds ${have}`;
  if (have < expected) throw bad(`truncated: ${promise}`);
  if (have > expected) throw bad(`trailing bytes: ${promise}`);
  return { file, bytes, dims, dataOffset };
}

/** An images file and its labels file, checked against each other. */
function readPair(imagesFile: string, labelsFile: string): { images: IdxFile; labels: IdxFile; n: number; d: number } {
  const images = readIdx(imagesFile, IDX_MAGIC.images, 'images (idx3-ubyte)');
  const labels = readIdx(labelsFile, IDX_MAGIC.labels, 'labels (idx1-ubyte)');
  const n = images.dims[0];
  if (labels.dims[0] !== n) throw errors.badInput(labelsFile, `holds ${labels.dims[0]} labels but ${imagesFile} holds ${n} images`);
  if (n === 0) throw errors.badInput(imagesFile, 'holds no images');
  return { images, labels, n, d: images.dims[1] * images.dims[2] };
}

function maxLabel(labels: IdxFile): number {
  let m = 0;
  for (let i = labels.dataOffset; i < labels.bytes.length; i++) if (labels.bytes[i] > m) m = labels.bytes[i];
  return m;
}

/**
 * Loads MNIST-style IDX files (raw or gzipped) straight into shared buffers: pixels scaled to
 * [0, 1] in X (N, H·W), labels one-hot in Y (N, C) with C = largest label + 1.
 * Split: with a separate test pair (`testImages`, `testLabels`), the first pair is the training
 * split and the second the test split, in file order (the standard MNIST split); with one pair, the
 * images are placed in a fixed seeded order (SPLIT.seed) and the last fifth is the test split.
 */
export function loadIdx(imagesFile: string, labelsFile: string, testImagesFile?: string, testLabelsFile?: string): Dataset {
  const train = readPair(imagesFile, labelsFile);
  const test = testImagesFile !== undefined && testLabelsFile !== undefined ? readPair(testImagesFile, testLabelsFile) : null;
  if (test && test.d !== train.d)
    throw errors.badInput(testImagesFile!, `images are ${test.images.dims[1]}×${test.images.dims[2]} but ${imagesFile} has ${train.images.dims[1]}×${train.images.dims[2]}`);
  const N = train.n + (test ? test.n : 0);
  const D = train.d;
  const C = Math.max(maxLabel(train.labels), test ? maxLabel(test.labels) : 0) + 1;
  if (C < 2) throw errors.badInput(labelsFile, 'every label is 0: classification needs at least 2 classes');

  const X = sharedFloat32(N * D); // (N, D)
  const Y = sharedFloat32(N * C); // (N, C) one-hot
  // one pair: seeded placement; two pairs: file order, training rows first
  const rowOf = test ? iota(N) : shuffledRowOf(N);
  let r = 0;
  for (const pair of test ? [train, test] : [train]) {
    const px = pair.images.bytes;
    const lb = pair.labels.bytes;
    for (let i = 0; i < pair.n; i++, r++) {
      const row = rowOf[r];
      const src = pair.images.dataOffset + i * D;
      for (let j = 0; j < D; j++) X[row * D + j] = px[src + j] / 255;
      Y[row * C + lb[pair.labels.dataOffset + i]] = 1;
    }
  }
  const split = test ? { trainRows: iota(train.n), testRows: iota(test.n, train.n) } : heldOutSplit(N);
  return { name: path.basename(imagesFile), task: 'classification', X, Y, rows: N, inputs: D, outputs: C, ...split, ...(test ? { separateTest: true } : { fileOrder: rowOf }) };
}
