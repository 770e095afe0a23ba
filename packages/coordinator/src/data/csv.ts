import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { errors, isShardgradError } from '@shardgrad/core';
import type { DataSource } from '../api.js';
import { readFileOrFail } from '../io/files.js';
import { checkColumnNames } from './column-names.js';
import { iota, sharedFloat32, type Dataset } from './dataset.js';
import { heldOutSplit, shuffledRowOf } from './split.js';

export type CsvSource = Extract<DataSource, { kind: 'csv' }>;

/** Class indices run 0..MAX_CLASSES−1; a larger label is taken as a mistake, not a class. */
export const MAX_CLASSES = 1000;

/**
 * What a number is in a CSV cell, for training and prediction alike: a plain decimal, so no NaN,
 * Infinity, hex ("0x10") or empty cell slips through as Number() would let it.
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

export function isCsvNumber(cell: string): boolean {
  return DECIMAL.test(cell);
}

/** "column 3", or `column 3 "y"` when the file has a header. */
function columnLabel(names: readonly string[] | null, c: number): string {
  return names ? `column ${c + 1} "${names[c]}"` : `column ${c + 1}`;
}

/** One parsed file: numbers per record, and the label column's text when labels may be class names. */
interface CsvTable {
  readonly file: string;
  readonly names: string[] | null;
  readonly width: number;
  readonly records: Float64Array[];
  readonly lines: number[];
  readonly targetCols: number[];
  readonly inputCols: number[];
  /** the label cells as written (single-label classification only) */
  readonly labelText: string[] | null;
}

/**
 * Parses one CSV file. Every cell must be a number, except the label column of a classification
 * file, which may hold class names. Columns are resolved as soon as the header (or the first row)
 * is known. Every malformed input throws a one-line ShardgradError naming the file, line and column.
 */
function readTable(file: string, source: CsvSource): CsvTable {
  const bad = (problem: string) => errors.badInput(file, problem);
  const text = readFileOrFail(file).toString('utf8');
  const task = source.task ?? 'classification';
  let names = null as string[] | null; // set inside the parse callback
  let width = -1;
  let firstLine = 0;
  let targetCols: number[] = [];
  let labelCol = -1; // the column that may hold class names
  const columnName = (c: number) => columnLabel(names, c);
  // records become numbers as they stream by: the file's strings are never all held at once
  const records: Float64Array[] = [];
  const lines: number[] = [];
  const labelText: string[] = [];

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
  const resolveTargets = () => {
    if (source.targetColumns !== undefined && source.targetColumns.length > 0) {
      if (source.labelColumn !== undefined) throw bad('give either a label column or target columns, not both');
      targetCols = source.targetColumns.map((t) => resolve(t, 'target'));
      if (new Set(targetCols).size !== targetCols.length) throw bad('a target column is named twice');
    } else {
      const named = names ? names.findIndex((n) => n.toLowerCase() === 'label') : -1;
      targetCols = [source.labelColumn !== undefined ? resolve(source.labelColumn, 'label') : named >= 0 ? named : width - 1];
      if (task === 'classification') labelCol = targetCols[0];
    }
  };

  const onRecord = (record: string[], context: { lines: number }): null => {
    const line = context.lines;
    if (width < 0) {
      width = record.length;
      firstLine = line;
      if (source.header ?? record.every((c) => !isCsvNumber(c))) {
        names = record;
        checkColumnNames(file, names);
        resolveTargets();
        return null;
      }
      resolveTargets();
    }
    if (record.length !== width) throw bad(`line ${line} has ${record.length} fields, expected ${width} like line ${firstLine}`);
    const values = new Float64Array(width);
    for (let c = 0; c < width; c++) {
      const cell = record[c];
      if (c === labelCol) {
        if (cell === '') throw bad(`line ${line}, ${columnName(c)}: empty cell`);
        labelText.push(cell);
        continue;
      }
      if (!isCsvNumber(cell)) {
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
  const isTarget = new Uint8Array(width);
  for (const c of targetCols) isTarget[c] = 1;
  const inputCols: number[] = [];
  for (let c = 0; c < width; c++) if (!isTarget[c]) inputCols.push(c);
  if (inputCols.length === 0) throw bad('no input columns: every column is a target');
  return { file, names, width, records, lines, targetCols, inputCols, labelText: labelCol >= 0 ? labelText : null };
}

/**
 * The class index of every label: whole numbers 0..MAX_CLASSES−1 as they are, or, when any label is
 * not a number (or the model fixes `classNames`), class names mapped to their index in the sorted
 * list of names. Returns the indices per table and the names (null for numeric labels).
 */
function classIndices(tables: CsvTable[], classNames: readonly string[] | undefined): { labels: Uint16Array[]; names: string[] | null } {
  const texts = tables.map((t) => t.labelText!);
  const numeric = classNames === undefined && texts.every((ts) => ts.every(isCsvNumber));
  if (numeric)
    return {
      names: null,
      labels: tables.map((t, k) =>
        Uint16Array.from(texts[k], (cell, r) => {
          const v = Number(cell);
          const where = `line ${t.lines[r]}, ${columnLabel(t.names, t.targetCols[0])}`;
          if (!Number.isInteger(v)) throw errors.badInput(t.file, `${where}: label ${v} is not a class index (a whole number 0..${MAX_CLASSES - 1})`);
          if (v < 0 || v >= MAX_CLASSES) throw errors.badInput(t.file, `${where}: label ${v} is out of range (class indices are 0..${MAX_CLASSES - 1})`);
          return v;
        }),
      ),
    };
  // class names: the first table (the training file) defines them unless a model fixed them
  const names = classNames ? [...classNames] : [...new Set(texts[0])].sort();
  if (names.length > MAX_CLASSES) throw errors.badInput(tables[0].file, `${names.length} class names, at most ${MAX_CLASSES}`);
  const index = new Map(names.map((n, i) => [n, i]));
  const labels = tables.map((t, k) =>
    Uint16Array.from(texts[k], (cell, r) => {
      const i = index.get(cell);
      if (i === undefined) {
        const known = `${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`;
        const whose = classNames ? "the model's classes" : `the classes of ${tables[0].file}`;
        throw errors.badInput(t.file, `line ${t.lines[r]}: class "${cell}" is not one of ${whose} (${known})`);
      }
      return i;
    }),
  );
  return { labels, names };
}

/**
 * Loads a CSV file (and optionally a separate test file with the same columns) straight into
 * shared buffers.
 * - Header: `source.header`, else detected: a first row with no numeric cell is a header.
 * - Targets: `targetColumns` (one-hot columns, or regression targets when task is 'regression'),
 *   else `labelColumn`, else the column named `label`, else the last column. For classification
 *   the label is a class index 0..C−1 with C = largest label + 1, or a class name: names are
 *   sorted and class k is the k-th name (kept in `classes`, and saved with the model). Labels are
 *   stored one-hot in Y (N, C); regression targets are stored raw. Every other column is an input,
 *   in file order.
 * - Columns are chosen by header name or by 0-based index.
 * - Split: with `testPath`, the first file trains and the second tests, each in file order;
 *   otherwise records are placed in a fixed seeded order (SPLIT.seed) and the last fifth is the
 *   test split.
 * Every malformed input throws a one-line ShardgradError naming the file, line and column.
 */
export function loadCsv(source: CsvSource): Dataset {
  const task = source.task ?? 'classification';
  const tables = [readTable(source.path, source)];
  if (source.testPath !== undefined) {
    const test = readTable(source.testPath, source);
    const [train] = tables;
    if (test.width !== train.width) throw errors.badInput(test.file, `has ${test.width} columns, but ${train.file} has ${train.width}`);
    if (train.names && test.names && train.names.join(',') !== test.names.join(','))
      throw errors.badInput(test.file, `its columns (${test.names.join(', ')}) differ from those of ${train.file} (${train.names.join(', ')})`);
    tables.push(test);
  }
  const { inputCols, targetCols, names: header } = tables[0];
  const sizes = tables.map((t) => t.records.length);
  const N = sizes.reduce((a, b) => a + b, 0);
  const D = inputCols.length;
  const T = targetCols.length;
  // one file: seeded placement; two files: file order, training rows first
  const rowOf = tables.length === 1 ? shuffledRowOf(N) : iota(N);
  const X = sharedFloat32(N * D); // (N, D)
  let r = 0;
  for (const t of tables)
    for (const rec of t.records) {
      const base = rowOf[r++] * D;
      for (let j = 0; j < D; j++) X[base + j] = rec[inputCols[j]];
    }

  let Y: Float32Array;
  let outputs: number;
  let classes: string[] | null = null;
  if (task === 'regression' || T > 1) {
    // raw regression targets, or one-hot columns checked to be one-hot
    outputs = T;
    Y = sharedFloat32(N * T); // (N, T)
    r = 0;
    for (const t of tables)
      t.records.forEach((rec, i) => {
        const base = rowOf[r++] * T;
        let ones = 0;
        for (let k = 0; k < T; k++) {
          const v = rec[targetCols[k]];
          if (task === 'classification') {
            if (v !== 0 && v !== 1) throw errors.badInput(t.file, `line ${t.lines[i]}, ${columnLabel(t.names, targetCols[k])}: one-hot target ${v} is not 0 or 1`);
            ones += v;
          }
          Y[base + k] = v;
        }
        if (task === 'classification' && ones !== 1) throw errors.badInput(t.file, `line ${t.lines[i]}: one-hot targets hold ${ones} ones, expected exactly one`);
      });
  } else {
    const mapped = classIndices(tables, source.classNames);
    classes = mapped.names;
    let maxLabel = 0;
    for (const ls of mapped.labels) for (const v of ls) if (v > maxLabel) maxLabel = v;
    outputs = Math.max(classes ? classes.length : maxLabel + 1, source.classCount ?? 0);
    if (outputs < 2) throw errors.badInput(source.path, classes ? `every label is "${classes[0]}": classification needs at least 2 classes` : 'every label is 0: classification needs at least 2 classes');
    Y = sharedFloat32(N * outputs); // (N, C) one-hot
    r = 0;
    for (const ls of mapped.labels) for (const v of ls) Y[rowOf[r++] * outputs + v] = 1;
  }

  const split = tables.length === 1 ? heldOutSplit(N) : { trainRows: iota(sizes[0]), testRows: iota(sizes[1], sizes[0]) };
  return {
    name: path.basename(source.path),
    task,
    X,
    Y,
    rows: N,
    inputs: D,
    outputs,
    ...split,
    ...(tables.length > 1 ? { separateTest: true } : { fileOrder: rowOf }),
    ...(classes ? { classes } : {}),
    ...(header ? { inputColumns: inputCols.map((c) => header[c]), targetColumns: targetCols.map((c) => header[c]) } : {}),
  };
}
