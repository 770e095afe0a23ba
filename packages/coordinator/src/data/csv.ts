import path from 'node:path';
import { errors } from '@shardgrad/core';
import type { DataSource } from '../api.js';
import { checkColumnNames } from './column-names.js';
import { forEachCsvRecord, RowStore } from './csv-records.js';
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

/**
 * One parsed file, in file order: its inputs and numeric targets as float32 rows, and, for
 * single-label classification, each row's label as an index into its distinct label texts.
 */
interface CsvTable {
  readonly file: string;
  readonly names: string[] | null;
  readonly width: number;
  readonly rows: number;
  readonly targetCols: number[];
  readonly inputCols: number[];
  /** (rows, D) */
  readonly inputs: RowStore;
  /** (rows, T) numeric targets: regression or one-hot columns (absent for a label column) */
  readonly targets: RowStore | null;
  /** the label cells as written (single-label classification only) */
  readonly labels: LabelTexts | null;
}

/** The distinct label texts of a file in order of first appearance, the line of each first use, and each row's text (as its index). */
interface LabelTexts {
  readonly texts: string[];
  readonly firstLine: number[];
  /** (rows, 1): the index into `texts` of every row's label */
  readonly ids: RowStore;
}

/** The most distinct label texts a file may hold (their indices are stored as float32, exact to 2^24). */
const MAX_LABEL_TEXTS = 1 << 16;

/**
 * Parses one CSV file, streaming: every record is turned into float32 values as it is read.
 * Every cell must be a number, except the label column of a classification file, which may hold
 * class names. Columns are resolved as soon as the header (or the first row) is known. Every
 * malformed input throws a one-line ShardgradError naming the file, line and column.
 */
function readTable(file: string, source: CsvSource): CsvTable {
  const bad = (problem: string) => errors.badInput(file, problem);
  const task = source.task ?? 'classification';
  let names = null as string[] | null;
  let width = -1;
  let firstLine = 0;
  let targetCols: number[] = [];
  let inputCols: number[] = [];
  let labelCol = -1; // the column that may hold class names
  let targetSlot = new Int32Array(0); // column c is target targetSlot[c] (in the order targets were given)
  let dataRows = 0;
  const columnName = (c: number) => columnLabel(names, c);
  let inputs = new RowStore(0);
  let targets: RowStore | null = null;
  const labelIndex = new Map<string, number>();
  const labels: LabelTexts = { texts: [], firstLine: [], ids: new RowStore(1) };

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
  const resolveColumns = () => {
    if (source.targetColumns !== undefined && source.targetColumns.length > 0) {
      if (source.labelColumn !== undefined) throw bad('give either a label column or target columns, not both');
      targetCols = source.targetColumns.map((t) => resolve(t, 'target'));
      if (new Set(targetCols).size !== targetCols.length) throw bad('a target column is named twice');
    } else {
      const named = names ? names.findIndex((n) => n.toLowerCase() === 'label') : -1;
      targetCols = [source.labelColumn !== undefined ? resolve(source.labelColumn, 'label') : named >= 0 ? named : width - 1];
      if (task === 'classification') labelCol = targetCols[0];
    }
    targetSlot = new Int32Array(width).fill(-1);
    targetCols.forEach((c, k) => (targetSlot[c] = k));
    for (let c = 0; c < width; c++) if (targetSlot[c] < 0) inputCols.push(c);
    if (inputCols.length === 0) throw bad('no input columns: every column is a target');
    inputs = new RowStore(inputCols.length);
    if (labelCol < 0) targets = new RowStore(targetCols.length);
  };

  /** The number in a cell of an input or target column, checked. */
  const numberAt = (record: string[], c: number, line: number): number => {
    const cell = record[c];
    if (!isCsvNumber(cell)) {
      const hint = dataRows === 0 && names === null && source.header === undefined && cell !== '' ? ' (a header row must hold only names)' : '';
      throw bad(`line ${line}, ${columnName(c)}: ${cell === '' ? 'empty cell' : `"${cell}" is not a number`}${hint}`);
    }
    const v = Number(cell);
    if (Math.abs(v) > FLOAT32_MAX) throw bad(`line ${line}, ${columnName(c)}: ${cell} is too large for float32`);
    return v;
  };

  forEachCsvRecord(file, file, (record, line) => {
    if (width < 0) {
      width = record.length;
      firstLine = line;
      if (source.header ?? record.every((c) => !isCsvNumber(c))) {
        names = record;
        checkColumnNames(file, names);
        resolveColumns();
        return;
      }
      resolveColumns();
    }
    if (record.length !== width) throw bad(`line ${line} has ${record.length} fields, expected ${width} like line ${firstLine}`);
    // the cells in file order, so the first bad cell of a line is the one named
    const D = inputCols.length;
    let j = 0;
    let k = 0;
    let ones = 0;
    for (let c = 0; c < width; c++) {
      if (c === labelCol) {
        const cell = record[c];
        if (cell === '') throw bad(`line ${line}, ${columnName(c)}: empty cell`);
        let id = labelIndex.get(cell);
        if (id === undefined) {
          if (labels.texts.length === MAX_LABEL_TEXTS) throw bad(`line ${line}, ${columnName(c)}: more than ${MAX_LABEL_TEXTS} different labels (classification takes at most ${MAX_CLASSES} classes)`);
          id = labels.texts.length;
          labelIndex.set(cell, id);
          labels.texts.push(cell);
          labels.firstLine.push(line);
        }
        labels.ids.beginRow();
        labels.ids.set(0, id);
        continue;
      }
      const v = numberAt(record, c, line);
      if (j < D && inputCols[j] === c) {
        if (j === 0) inputs.beginRow();
        inputs.set(j++, v);
        continue;
      }
      if (task === 'classification' && v !== 0 && v !== 1) throw bad(`line ${line}, ${columnName(c)}: one-hot target ${v} is not 0 or 1`);
      ones += v;
      if (k === 0) targets!.beginRow();
      targets!.set(targetSlot[c], v);
      k++;
    }
    if (task === 'classification' && labelCol < 0 && ones !== 1) throw bad(`line ${line}: one-hot targets hold ${ones} ones, expected exactly one`);
    dataRows++;
  });
  if (width < 0) throw bad('empty file (no rows)');
  if (dataRows === 0) throw bad('has a header row but no data rows');
  return { file, names, width, rows: dataRows, targetCols, inputCols, inputs, targets, labels: labelCol >= 0 ? labels : null };
}

/**
 * The class index of every distinct label text: whole numbers 0..MAX_CLASSES−1 as they are, or,
 * when any label is not a number (or the model fixes `classNames`), class names mapped to their
 * index in the sorted list of names. Returns the class of each text per table and the names (null
 * for numeric labels). A bad label is named at its first line, so the first bad row is the one named.
 */
function classIndices(tables: CsvTable[], classNames: readonly string[] | undefined): { classOf: Uint16Array[]; names: string[] | null } {
  const labels = tables.map((t) => t.labels!);
  const numeric = classNames === undefined && labels.every((l) => l.texts.every(isCsvNumber));
  if (numeric)
    return {
      names: null,
      classOf: tables.map((t, k) =>
        Uint16Array.from(labels[k].texts, (cell, i) => {
          const v = Number(cell);
          const where = `line ${labels[k].firstLine[i]}, ${columnLabel(t.names, t.targetCols[0])}`;
          if (!Number.isInteger(v)) throw errors.badInput(t.file, `${where}: label ${v} is not a class index (a whole number 0..${MAX_CLASSES - 1})`);
          if (v < 0 || v >= MAX_CLASSES) throw errors.badInput(t.file, `${where}: label ${v} is out of range (class indices are 0..${MAX_CLASSES - 1})`);
          return v;
        }),
      ),
    };
  // class names: the first table (the training file) defines them unless a model fixed them
  const names = classNames ? [...classNames] : [...labels[0].texts].sort();
  if (names.length > MAX_CLASSES) throw errors.badInput(tables[0].file, `${names.length} class names, at most ${MAX_CLASSES}`);
  const index = new Map(names.map((n, i) => [n, i]));
  const classOf = tables.map((t, k) =>
    Uint16Array.from(labels[k].texts, (cell, i) => {
      const c = index.get(cell);
      if (c === undefined) {
        const known = `${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`;
        const whose = classNames ? "the model's classes" : `the classes of ${tables[0].file}`;
        throw errors.badInput(t.file, `line ${labels[k].firstLine[i]}: class "${cell}" is not one of ${whose} (${known})`);
      }
      return c;
    }),
  );
  return { classOf, names };
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
  const sizes = tables.map((t) => t.rows);
  const N = sizes.reduce((a, b) => a + b, 0);
  const D = inputCols.length;
  const T = targetCols.length;
  // one file: seeded placement; two files: file order, training rows first
  const rowOf = tables.length === 1 ? shuffledRowOf(N) : iota(N);
  const X = sharedFloat32(N * D); // (N, D)
  let first = 0;
  for (const t of tables) {
    t.inputs.moveTo(X, first, rowOf);
    first += t.rows;
  }

  let Y: Float32Array;
  let outputs: number;
  let classes: string[] | null = null;
  if (task === 'regression' || T > 1) {
    // raw regression targets, or one-hot columns (checked to be one-hot as they were read)
    outputs = T;
    Y = sharedFloat32(N * T); // (N, T)
    first = 0;
    for (const t of tables) {
      t.targets!.moveTo(Y, first, rowOf);
      first += t.rows;
    }
  } else {
    const mapped = classIndices(tables, source.classNames);
    classes = mapped.names;
    let maxLabel = 0;
    for (const cs of mapped.classOf) for (const v of cs) if (v > maxLabel) maxLabel = v;
    outputs = Math.max(classes ? classes.length : maxLabel + 1, source.classCount ?? 0);
    if (outputs < 2) throw errors.badInput(source.path, classes ? `every label is "${classes[0]}": classification needs at least 2 classes` : 'every label is 0: classification needs at least 2 classes');
    Y = sharedFloat32(N * outputs); // (N, C) one-hot
    first = 0;
    tables.forEach((t, k) => {
      const ids = new Float32Array(t.rows); // (rows,) the label text of each row, as an index
      t.labels!.ids.moveTo(ids);
      const classOf = mapped.classOf[k];
      for (let r = 0; r < t.rows; r++) Y[rowOf[first + r] * outputs + classOf[ids[r]]] = 1;
      first += t.rows;
    });
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
