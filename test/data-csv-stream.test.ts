import { forEachCsvRecord, loadDataset } from '@shardgrad/coordinator';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureDir } from './fixtures/data/helpers.js';

const fx = fixtureDir();
afterAll(() => fx.remove());

/** Row i of the generated files: inputs i/4 and −i (exact in float32), label "c<i mod 3>" quoted with a comma and a line break. */
const ROWS = 40_000; // ≈ 1.3 MB per file: more than one 1 MiB read, so records straddle reads
const rowText = (i: number) => `${i / 4},"class ${i % 3},\nnext line",${-i}`;

describe('CSV read in chunks', () => {
  const header = 'a,label,b\n';
  const train = fx.write('big-train.csv', header + Array.from({ length: ROWS }, (_, i) => rowText(i)).join('\n') + '\n');
  const test = fx.write('big-test.csv', header + Array.from({ length: 3 }, (_, i) => rowText(ROWS + i)).join('\r\n'));

  it('reads every row of a file larger than one read, a quoted label with a comma and a line break across reads', () => {
    // two files keep file order: row r is record r of the training file, then the test file's
    const ds = loadDataset({ kind: 'csv', path: train, testPath: test }, 1);
    expect([ds.rows, ds.inputs, ds.outputs]).toEqual([ROWS + 3, 2, 3]);
    expect(ds.classes).toEqual(['class 0,\nnext line', 'class 1,\nnext line', 'class 2,\nnext line']);
    let wrong = 0;
    for (let r = 0; r < ds.rows; r++) {
      if (ds.X[2 * r] !== r / 4 || ds.X[2 * r + 1] !== -r) wrong++;
      for (let k = 0; k < 3; k++) if (ds.Y[3 * r + k] !== (k === r % 3 ? 1 : 0)) wrong++;
    }
    expect(wrong).toBe(0);
    expect([ds.trainRows.length, ds.testRows.length, ds.testRows[0]]).toEqual([ROWS, 3, ROWS]);
  });

  it('names the first bad line of a later read, counting the quoted line breaks', () => {
    const bad = fx.write('big-bad.csv', header + Array.from({ length: ROWS }, (_, i) => (i === ROWS - 2 ? '1,x,oops' : rowText(i))).join('\n'));
    // each earlier record spans two lines: the header is line 1, record i starts at line 2 + 2i
    expect(() => loadDataset({ kind: 'csv', path: bad }, 1)).toThrow(`${bad}: line ${2 + 2 * (ROWS - 2)}, column 3 "b": "oops" is not a number`);
  });

  it('ends a record longer than the limit (a file without line breaks) with one line, and refuses /dev/zero before reading', () => {
    let records = 0;
    const noBreaks = fx.write('no-breaks.csv', Buffer.alloc(200_000, 0)); // NUL bytes, as /dev/zero gives
    expect(() => forEachCsvRecord(noBreaks, 'zeros', () => records++, 1 << 16)).toThrow(
      /^zeros: line 1 is longer than 65536 bytes, the most a CSV record may have \(is it a CSV file\?\)$/,
    );
    expect(records).toBe(0);
    expect(() => loadDataset({ kind: 'csv', path: '/dev/zero' }, 1)).toThrow(/^\/dev\/zero: is a character device, not a regular file/);
  });

  it('hands records over in file order with their lines, the header included', () => {
    const seen: string[] = [];
    forEachCsvRecord(fx.write('small.csv', '\ufeffx, y\n\n1,"2\n3"\n4,5'), 'small', (rec, line) => seen.push(`${line}:${rec.join('|')}`));
    expect(seen).toEqual(['1:x|y', '4:1|2\n3', '5:4|5']);
  });
});
