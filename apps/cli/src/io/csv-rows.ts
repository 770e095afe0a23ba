import { readFileSync } from 'node:fs';
import { errors } from '@shardgrad/core';
import { parse } from 'csv-parse/sync';
import { readFileOrFail } from './files.js';

/** Rows of numbers read for prediction: X is (rows, columns). */
export interface NumericRows {
  readonly X: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

/**
 * Reads CSV rows of `columns` numbers from a file or stdin ("-"). A first row that is not all
 * numbers is a header; a header column named "label" is dropped, so a training CSV predicts as is.
 * Every problem is one line naming the source, the line and the cell.
 */
export function readNumericRows(source: string, columns: number): NumericRows {
  const name = source === '-' ? 'stdin' : source;
  const text = source === '-' ? readStdin() : readFileOrFail(source).toString('utf8');
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    throw errors.badInput(name, `not valid CSV (${(e as Error).message})`);
  }
  let first = 0;
  let drop = -1;
  if (records.length > 0 && records[0].some((c) => c === '' || !Number.isFinite(Number(c)))) {
    first = 1;
    drop = records[0].findIndex((c) => c.toLowerCase() === 'label');
  }
  const rows = records.length - first;
  if (rows === 0) throw errors.badInput(name, 'no data rows');
  const X = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const rec = records[first + r];
    const cells = drop >= 0 ? rec.filter((_, j) => j !== drop) : rec;
    const line = first + r + 1;
    if (first === 1 && rec.length !== records[0].length) throw errors.badInput(name, `line ${line} has ${rec.length} values, the header has ${records[0].length}`);
    if (cells.length !== columns) throw errors.badInput(name, `line ${line} has ${cells.length} values, the model takes ${columns}`);
    for (let j = 0; j < columns; j++) {
      const x = cells[j] === '' ? NaN : Number(cells[j]);
      if (!Number.isFinite(x)) throw errors.badInput(name, `line ${line}, column ${j + 1}: "${cells[j]}" is not a number`);
      X[r * columns + j] = x;
    }
  }
  return { X, rows, columns };
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw errors.badInput('stdin', `cannot read (${(e as Error).message})`);
  }
}
