import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset, type DataSource } from '@shardgrad/coordinator';
import { afterAll, describe, expect, it } from 'vitest';
import { failure, fixtureDir } from './fixtures/data/helpers.js';

const fx = fixtureDir();
afterAll(() => fx.remove());

/** The one-line, exit-code-2 message that loading `source` fails with. */
function messageOf(source: DataSource): string {
  const e = failure(() => loadDataset(source, 1));
  expect(e.exitCode).toBe(2);
  expect(e.message).not.toContain('\n');
  return e.message;
}
const csv = (name: string, text: string): DataSource => ({ kind: 'csv', path: fx.write(name, text) });

// a valid 3-image 2×2 IDX pair, as in data-idx.test.ts
const header3 = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2];
const pixels = [0, 255, 51, 102, 255, 0, 0, 255, 153, 204, 0, 51];
const images = fx.write('good-images', Uint8Array.from([...header3, ...pixels]));
const labels = fx.write('good-labels', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1]));

describe('bad CSV input: one-line errors naming the file and the problem', () => {
  it('ragged row: names the line', () => {
    const s = csv('ragged.csv', 'a,b,label\n1,2,0\n3,4\n5,6,1\n');
    expect(messageOf(s)).toBe(`${fx.dir}/ragged.csv: line 3 has 2 fields, expected 3 like line 1`);
  });

  it('ragged row after a blank line still counts file lines', () => {
    const s = csv('ragged2.csv', '1,2,0\n\n3,4,1,9\n');
    expect(messageOf(s)).toBe(`${fx.dir}/ragged2.csv: line 3 has 4 fields, expected 3 like line 1`);
  });

  it('non-numeric cell: names line and column', () => {
    const s = csv('text.csv', '1,2,0\n3,abc,1\n');
    expect(messageOf(s)).toBe(`${fx.dir}/text.csv: line 2, column 2: "abc" is not a number`);
  });

  it('NaN cell: names line and column (with its header name)', () => {
    const s = csv('nan.csv', 'x,y,label\n1,2,0\n1,NaN,1\n');
    expect(messageOf(s)).toBe(`${fx.dir}/nan.csv: line 3, column 2 "y": "NaN" is not a number`);
  });

  it('empty cell', () => {
    const s = csv('hole.csv', '1,,0\n2,3,1\n');
    expect(messageOf(s)).toBe(`${fx.dir}/hole.csv: line 1, column 2: empty cell`);
  });

  it('infinite value', () => {
    const s = csv('inf.csv', '1,2,0\n1e39,3,1\n');
    expect(messageOf(s)).toBe(`${fx.dir}/inf.csv: line 2, column 1: 1e39 is too large for float32`);
  });

  it('a first row that mixes names and numbers is neither header nor data', () => {
    const s = csv('mixed.csv', 'x,2,label\n1,2,0\n');
    expect(messageOf(s)).toBe(`${fx.dir}/mixed.csv: line 1, column 1: "x" is not a number (a header row must hold only names)`);
  });

  it('label not an integer', () => {
    const s = csv('frac.csv', '1,2,0\n3,4,0.5\n');
    expect(messageOf(s)).toBe(`${fx.dir}/frac.csv: line 2, column 3: label 0.5 is not a class index (a whole number 0..999)`);
  });

  it('label out of range: negative', () => {
    const s = csv('neg.csv', 'a,label\n1,1\n2,-1\n');
    expect(messageOf(s)).toBe(`${fx.dir}/neg.csv: line 3, column 2 "label": label -1 is out of range (class indices are 0..999)`);
  });

  it('label out of range: too large', () => {
    const s = csv('big.csv', '1,2,0\n3,4,1000\n');
    expect(messageOf(s)).toBe(`${fx.dir}/big.csv: line 2, column 3: label 1000 is out of range (class indices are 0..999)`);
  });

  it('a single class', () => {
    const s = csv('one-class.csv', '1,0\n2,0\n');
    expect(messageOf(s)).toBe(`${fx.dir}/one-class.csv: every label is 0: classification needs at least 2 classes`);
  });

  it('one-hot targets that are not one-hot', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('twohot.csv', 'x,a,b\n1,1,0\n2,1,1\n'), targetColumns: ['a', 'b'] };
    expect(messageOf(s)).toBe(`${fx.dir}/twohot.csv: line 3: one-hot targets hold 2 ones, expected exactly one`);
  });

  it('one-hot target that is neither 0 nor 1', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('soft.csv', 'x,a,b\n1,0.5,0.5\n'), targetColumns: ['a', 'b'] };
    expect(messageOf(s)).toBe(`${fx.dir}/soft.csv: line 2, column 2 "a": one-hot target 0.5 is not 0 or 1`);
  });

  it('a target column named twice', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('twice.csv', 'x,a,b\n1,0,1\n'), targetColumns: ['a', 1] };
    expect(messageOf(s)).toBe(`${fx.dir}/twice.csv: a target column is named twice`);
  });

  it('both a label column and target columns', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('both.csv', 'x,a,b\n1,0,1\n'), targetColumns: ['a', 'b'], labelColumn: 'x' };
    expect(messageOf(s)).toBe(`${fx.dir}/both.csv: give either a label column or target columns, not both`);
  });

  it('no input column left', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('noinput.csv', 'a,b\n0,1\n'), targetColumns: ['a', 'b'] };
    expect(messageOf(s)).toBe(`${fx.dir}/noinput.csv: no input columns: every column is a target`);
  });

  it('empty file', () => {
    expect(messageOf(csv('empty.csv', ''))).toBe(`${fx.dir}/empty.csv: empty file (no rows)`);
    expect(messageOf(csv('blank.csv', '\n\n  \n'))).toBe(`${fx.dir}/blank.csv: empty file (no rows)`);
  });

  it('header without data', () => {
    expect(messageOf(csv('header-only.csv', 'a,b,label\n'))).toBe(`${fx.dir}/header-only.csv: has a header row but no data rows`);
  });

  it('label column not found by name', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('cols.csv', 'a,b,label\n1,2,0\n'), labelColumn: 'target' };
    expect(messageOf(s)).toBe(`${fx.dir}/cols.csv: label column "target" not found (columns: a, b, label)`);
  });

  it('label column named in a file without a header', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('nohead.csv', '1,2,0\n'), labelColumn: 'label' };
    expect(messageOf(s)).toBe(`${fx.dir}/nohead.csv: label column "label" not found (the file has no header row)`);
  });

  it('label column index out of range', () => {
    const s: DataSource = { kind: 'csv', path: fx.write('idx.csv', '1,2,0\n'), labelColumn: 3 };
    expect(messageOf(s)).toBe(`${fx.dir}/idx.csv: label column index 3 is out of range (the file has 3 columns, indices 0..2)`);
  });

  it('not valid CSV (an unclosed quote)', () => {
    expect(messageOf(csv('quote.csv', '1,2,0\n3,"4,1\n'))).toMatch(/^.*\/quote\.csv: not valid CSV \(Quote Not Closed: .*line 2\)$/);
  });

  it('missing file', () => {
    const file = path.join(fx.dir, 'nope.csv');
    expect(messageOf({ kind: 'csv', path: file })).toBe(`${file}: no such file`);
  });

  it('a directory instead of a file', () => {
    expect(messageOf({ kind: 'csv', path: fx.dir })).toBe(`${fx.dir}: is a directory, not a file`);
  });
});

describe('bad IDX input: one-line errors naming the file and the problem', () => {
  it('wrong magic number (a labels file given as images)', () => {
    expect(messageOf({ kind: 'idx', images: labels, labels })).toBe(
      `${labels}: wrong magic number 0x00000801 (expected 0x00000803 for an IDX images (idx3-ubyte) file)`,
    );
  });

  it('wrong magic number (not an IDX file at all)', () => {
    const f = fx.write('text-labels', 'hello world');
    expect(messageOf({ kind: 'idx', images, labels: f })).toBe(`${f}: wrong magic number 0x68656c6c (expected 0x00000801 for an IDX labels (idx1-ubyte) file)`);
  });

  it('truncated pixel data', () => {
    const f = fx.write('short-images', Uint8Array.from([...header3, ...pixels.slice(0, 11)]));
    expect(messageOf({ kind: 'idx', images: f, labels })).toBe(`${f}: truncated: the header promises 3×2×2 = 12 data bytes, the file holds 11`);
  });

  it('truncated header', () => {
    const f = fx.write('short-header', Uint8Array.from(header3.slice(0, 10)));
    expect(messageOf({ kind: 'idx', images: f, labels })).toBe(`${f}: truncated: 10 bytes, the IDX header needs 16`);
    const g = fx.write('tiny', Uint8Array.from([0, 0]));
    expect(messageOf({ kind: 'idx', images: g, labels })).toBe(`${g}: truncated: 2 bytes, too short for an IDX header`);
  });

  it('trailing bytes after the data', () => {
    const f = fx.write('long-labels', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1, 7, 7]));
    expect(messageOf({ kind: 'idx', images, labels: f })).toBe(`${f}: trailing bytes: the header promises 3 data bytes, the file holds 5`);
  });

  it('image and label counts differ', () => {
    const f = fx.write('two-labels', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 1, 0]));
    expect(messageOf({ kind: 'idx', images, labels: f })).toBe(`${f}: holds 2 labels but ${images} holds 3 images`);
  });

  it('every label 0', () => {
    const f = fx.write('zero-labels', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 0, 0, 0]));
    expect(messageOf({ kind: 'idx', images, labels: f })).toBe(`${f}: every label is 0: classification needs at least 2 classes`);
  });

  it('a corrupt gzip file', () => {
    const whole = gzipSync(Uint8Array.from([...header3, ...pixels]));
    const f = fx.write('cut.gz', whole.subarray(0, whole.length - 6));
    expect(messageOf({ kind: 'idx', images: f, labels })).toMatch(/^.*\/cut\.gz: not a valid gzip file \(.+\)$/);
  });

  it('missing labels file', () => {
    const f = path.join(fx.dir, 'missing-labels');
    expect(messageOf({ kind: 'idx', images, labels: f })).toBe(`${f}: no such file`);
  });

  it('test images of another size than the training images', () => {
    const ti = fx.write('t-3x1', Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 1, 2, 3]));
    const tl = fx.write('t-1', Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 1]));
    expect(messageOf({ kind: 'idx', images, labels, testImages: ti, testLabels: tl })).toBe(`${ti}: images are 3×1 but ${images} has 2×2`);
  });
});

