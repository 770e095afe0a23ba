import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { errors, isShardgradError } from '@shardgrad/core';
import type { DataSource } from '../api.js';
import { sharedFloat32, type Dataset } from './dataset.js';
import { readDataFile } from './read-file.js';
import { lastFifthSplit, shuffledRowOf } from './split.js';

export type CsvSource = Extract<DataSource, { kind: 'csv' }>;

/** Class indices run 0..MAX_CLASSES−1; a larger label is taken as a mistake, not a class. */
export const MAX_CLASSES = 1000;

/** A plain decimal number: no NaN, Infinity, hex or empty cell slips through as Number() would let it. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

function isNumeric(cell: string): boolean {
  return DECIMAL.test(cell);
}

/**
 * Loads a CSV file straight into shared buffers.
 * - Header: `source.header`, else detected: a first row with no numeric cell is a header.
 * - Targets: `targetColumns` (one-hot columns, or regression targets when task is 'regression'),
 *   else `labelColumn`, else the column named `label`, else the last column. For classification
 *   the label is a class index 0..C−1 with C = largest label + 1, stored one-hot in Y (N, C);
 *   regression targets are stored raw. Every other column is an input, in file order.
 * - Columns are chosen by header name or by 0-based index.
 * - Split: records are placed in a fixed seeded order (SPLIT.seed) and the last fifth is the test split.
 * Every malformed input throws a one-line ShardgradError naming the file, line and column.
 */
export function loadCsv(source: CsvSource): Dataset {
  const file = source.path;
  const bad = (problem: string) => errors.badInput(file, problem);
  const text = readDataFile(file).toString('utf8');

  let names = null as string[] | null; // set inside the parse callback
  let width = -1;
  let firstLine = 0;
  const columnName = (c: number) => (names ? `column ${c + 1} "${names[c]}"` : `column ${c + 1}`);
  // records become numbers as they stream by: the file's strings are never all held at once
  const records: Float64Array[] = [];
  const lines: number[] = [];
  const onRecord = (record: string[], context: { lines: number }): null => {
    const line = context.lines;
    if (width < 0) {
      width = record.length;
      firstLine = line;
      if (source.header ?? record.every((c) => !isNumeric(c))) {
        names = record;
        return null;
      }
    }
    if (record.length !== width) throw bad(`line ${line} has ${record.length} fields, expected ${width} like line ${firstLine}`);
    const values = new Float64Array(width);
    for (let c = 0; c < width; c++) {
      const cell = record[c];
      if (!isNumeric(cell)) {
        const hint = records.length === 0 && names === null && source.header === undefined && cell !== '' ? ' (a header row must hold only names)' : '';
        throw bad(`line ${line}, ${columnName(c)}: ${cell === '' ? 'empty cell' : `"${cell}" is not a number`}${hint}`);
      }
      const v = Number(cell);
      if (Math.abs(v) > FLOAT32_MAX) throw bad(`line ${line}, ${columnName(c)}: ${cell} is too large for float32`);
      values[c] = v;
    }
    records.push(values);
    lines.push(line);
    return null;
  };
  try {
    parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, on_record: onRecord });
  } catch (e) {
    if (isShardgradError(e)) throw e;
    throw bad(`not valid CSV (${(e as Error).message})`);
  }
  if (width < 0) throw bad('empty file (no rows)');
  if (records.length === 0) throw bad('has a header row but no data rows');

  const resolve = (spec: string | number, role: string): number => {
    if (typeof spec === 'string') {
      const byName = names ? names.indexOf(spec) : -1;
      if (byName >= 0) return byName;
      if (!/^\d+$/.test(spec)) {
        const known = names ? `columns: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}` : 'the file has no header row';
        throw bad(`${role} column "${spec}" not found (${known})`);
      }
      spec = Number(spec);
    }
    if (!Number.isInteger(spec) || spec < 0 || spec >= width)
      throw bad(`${role} column index ${spec} is out of range (the file has ${width} columns, indices 0..${width - 1})`);
    return spec;
  };

  const task = source.task ?? 'classification';
  let targetCols: number[];
  if (source.targetColumns !== undefined && source.targetColumns.length > 0) {
    if (source.labelColumn !== undefined) throw bad('give either a label column or target columns, not both');
    targetCols = source.targetColumns.map((t) => resolve(t, 'target'));
    if (new Set(targetCols).size !== targetCols.length) throw bad('a target column is named twice');
  } else {
    const named = names ? names.findIndex((n) => n.toLowerCase() === 'label') : -1;
    targetCols = [source.labelColumn !== undefined ? resolve(source.labelColumn, 'label') : named >= 0 ? named : width - 1];
  }
  const isTarget = new Uint8Array(width);
  for (const c of targetCols) isTarget[c] = 1;
  const inputCols: number[] = [];
  for (let c = 0; c < width; c++) if (!isTarget[c]) inputCols.push(c);
  if (inputCols.length === 0) throw bad('no input columns: every column is a target');

  const N = records.length;
  const D = inputCols.length;
  const T = targetCols.length;
  const rowOf = shuffledRowOf(N);
  const X = sharedFloat32(N * D); // (N, D)
  for (let r = 0; r < N; r++) {
    const base = rowOf[r] * D;
    for (let j = 0; j < D; j++) X[base + j] = records[r][inputCols[j]];
  }

  let Y: Float32Array;
  let outputs: number;
  if (task === 'regression' || T > 1) {
    // raw regression targets, or one-hot columns checked to be one-hot
    outputs = T;
    Y = sharedFloat32(N * T); // (N, T)
    for (let r = 0; r < N; r++) {
      const base = rowOf[r] * T;
      let ones = 0;
      for (let t = 0; t < T; t++) {
        const v = records[r][targetCols[t]];
        if (task === 'classification') {
          if (v !== 0 && v !== 1) throw bad(`line ${lines[r]}, ${columnName(targetCols[t])}: one-hot target ${v} is not 0 or 1`);
          ones += v;
        }
        Y[base + t] = v;
      }
      if (task === 'classification' && ones !== 1)
        throw bad(`line ${lines[r]}: one-hot targets hold ${ones} ones, expected exactly one`);
    }
  } else {
    const c = targetCols[0];
    const labels = new Uint16Array(N);
    let maxLabel = 0;
    for (let r = 0; r < N; r++) {
      const v = records[r][c];
      const where = `line ${lines[r]}, ${columnName(c)}`;
      if (!Number.isInteger(v)) throw bad(`${where}: label ${v} is not a class index (a whole number 0..${MAX_CLASSES - 1})`);
      if (v < 0 || v >= MAX_CLASSES) throw bad(`${where}: label ${v} is out of range (class indices are 0..${MAX_CLASSES - 1})`);
      labels[r] = v;
      if (v > maxLabel) maxLabel = v;
    }
    if (maxLabel === 0) throw bad(`every label is 0: classification needs at least 2 classes`);
    outputs = maxLabel + 1;
    Y = sharedFloat32(N * outputs); // (N, C) one-hot
    for (let r = 0; r < N; r++) Y[rowOf[r] * outputs + labels[r]] = 1;
  }

  return { name: path.basename(file), task, X, Y, rows: N, inputs: D, outputs, ...lastFifthSplit(N) };
}
