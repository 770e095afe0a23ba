import { sharedFloat32 } from '@shardgrad/coordinator';
import { errors } from '@shardgrad/core';

/**
 * The user's arrays as the run's matrices. Shape letters: N rows, D inputs (columns of x), C outputs.
 * Every shape or value problem is one ShardgradError naming the field (x, y) and what was expected.
 */

/** Numbers in a row: a plain array or any typed array. */
export type NumberRow = ArrayLike<number>;

/**
 * Inputs: rows (an array of plain or typed arrays), or one flat array of N·D numbers, row after
 * row (a Float32Array over a SharedArrayBuffer is used in place when no scaling is asked for).
 */
export type Inputs = readonly NumberRow[] | NumberRow;

/**
 * Targets: one per row — class labels (non-negative integers or strings) or regression values —
 * or rows of C values (one-hot for classes, or C regression targets), or one flat array of N·C.
 */
export type Targets = readonly NumberRow[] | NumberRow | readonly string[];

/** A class as `classify` gives it: a name, or an index. */
export type Label = number | string;

/** What `classify` gives for a model trained on targets of type Y: the names for string labels, else indices. */
export type LabelOf<Y> = Y extends readonly (infer S extends string)[] ? S : number;

export type Task = 'classification' | 'regression';

/** A matrix (R, cols) over shared memory. */
export interface Matrix {
  readonly X: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

const isRows = (a: unknown): a is readonly NumberRow[] =>
  Array.isArray(a) && a.length > 0 && typeof a[0] === 'object' && a[0] !== null && typeof (a[0] as NumberRow).length === 'number';

const isNumberArray = (a: unknown): a is NumberRow =>
  ArrayBuffer.isView(a) ? !(a instanceof DataView) : Array.isArray(a) && a.every((v) => typeof v === 'number');

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Where a column count comes from, for messages: "(layers[0])" or "(the model's inputs)". */
export interface Expected {
  readonly count: number | undefined;
  readonly source: string;
}

function checkFinite(field: string, X: Float32Array, cols: number): void {
  for (let i = 0; i < X.length; i++)
    if (!Number.isFinite(X[i])) throw errors.badInput(field, `row ${Math.floor(i / cols)}, column ${i % cols} is ${X[i]} (every value must be a finite number)`);
}

/**
 * x as an (N, D) float32 matrix over a SharedArrayBuffer: a shared Float32Array of N·D is taken as
 * is (no copy), anything else is copied once. `columns` is the expected D, when known.
 */
export function inputMatrix(field: string, x: unknown, columns: Expected): Matrix {
  if (isRows(x)) {
    const N = x.length;
    const D = x[0].length;
    if (columns.count !== undefined && D !== columns.count)
      throw errors.badInput(field, `expected ${columns.count} columns per row ${columns.source}, got ${plural(N, 'row')} of ${D}`);
    if (D === 0) throw errors.badInput(field, 'rows have no values');
    const X = sharedFloat32(N * D); // (N, D): the one copy
    for (let r = 0; r < N; r++) {
      const row = x[r];
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') throw errors.badInput(field, `row ${r} is not an array of numbers`);
      if (row.length !== D) throw errors.badInput(field, `row ${r} has ${row.length} values, expected ${D} like row 0`);
      for (let j = 0; j < D; j++) {
        const v = row[j];
        if (typeof v !== 'number') throw errors.badInput(field, `row ${r}, column ${j} is ${typeof v === 'string' ? JSON.stringify(v) : String(v)}, not a number`);
        X[r * D + j] = v;
      }
    }
    checkFinite(field, X, D);
    return { X, rows: N, cols: D };
  }
  if (!isNumberArray(x)) throw errors.badInput(field, 'expected rows of numbers (an array of arrays) or one flat array of numbers');
  if (x.length === 0) throw errors.badInput(field, 'has no rows');
  if (columns.count === undefined) throw errors.badInput(field, `a flat array needs the column count: give layers (layers[0] = columns per row) or pass rows`);
  const D = columns.count;
  if (x.length % D !== 0) throw errors.badInput(field, `expected ${D} columns per row ${columns.source}, got a flat array of ${x.length} values (not a multiple of ${D})`);
  const N = x.length / D;
  let X: Float32Array;
  if (x instanceof Float32Array && x.buffer instanceof SharedArrayBuffer) X = x; // in place: workers read it directly
  else {
    X = sharedFloat32(x.length); // (N, D): the one copy
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (typeof v !== 'number' && typeof v !== 'bigint') throw errors.badInput(field, `value ${i} is not a number`);
      X[i] = Number(v);
    }
  }
  checkFinite(field, X, D);
  return { X, rows: N, cols: D };
}

/** The targets in training form: Y (N, C) over shared memory, the task, and class names when y held strings. */
export interface TargetMatrix extends Matrix {
  readonly task: Task;
  readonly classes?: readonly string[];
}

export interface TargetHints {
  /** rows of x */
  readonly rows: number;
  /** forced task, else detected */
  readonly task?: Task;
  /** the output size the model has or was asked for (layers' last), if known */
  readonly outputs?: Expected;
  /** class names fixed by a trained model: string labels must be among them */
  readonly classes?: readonly string[];
}

/** One-hot labels (N, C). */
function oneHot(field: string, labels: ArrayLike<number>, N: number, hints: TargetHints): TargetMatrix {
  let max = 0;
  for (let i = 0; i < N; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0) throw errors.badInput(field, `label ${i} is ${v}: class labels must be integers 0..C−1 (or strings)`);
    if (v > max) max = v;
  }
  const want = hints.outputs?.count;
  if (want !== undefined && max >= want) throw errors.badInput(field, `label ${max} needs at least ${max + 1} outputs, but the model has ${want} ${hints.outputs!.source}`);
  const C = want ?? max + 1;
  if (C < 2) throw errors.badInput(field, 'every label is 0: classification needs at least 2 classes');
  const Y = sharedFloat32(N * C); // (N, C) one-hot
  for (let i = 0; i < N; i++) Y[i * C + labels[i]] = 1;
  return { X: Y, rows: N, cols: C, task: 'classification' };
}

/** Class indices of string labels: the given names, or the sorted distinct labels (as the CLI does for a CSV). */
function indexStrings(field: string, y: readonly string[], fixed?: readonly string[]): { labels: Uint32Array; names: string[] } {
  const empty = y.indexOf('');
  if (empty >= 0) throw errors.badInput(field, `label ${empty} is an empty string (a missing label?): class names must not be empty`);
  const names = fixed ? [...fixed] : [...new Set(y)].sort();
  const index = new Map(names.map((n, k) => [n, k]));
  const labels = new Uint32Array(y.length);
  y.forEach((s, i) => {
    const k = index.get(s);
    if (k === undefined) throw errors.badInput(field, `label ${i} is ${JSON.stringify(s)}, not one of the model's classes (${names.join(', ')})`);
    labels[i] = k;
  });
  return { labels, names };
}

/**
 * The classes below the highest one that no row of Y (N, C one-hot) has: their outputs are only
 * ever trained towards 0, which is most often a mistake in the labels (0 and 2 with no 1).
 */
export function missingClasses(Y: Float32Array, N: number, C: number): number[] {
  const seen = new Uint8Array(C);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < C; k++) if (Y[i * C + k] === 1) seen[k] = 1;
  const top = seen.lastIndexOf(1);
  const missing: number[] = [];
  for (let k = 0; k < top; k++) if (!seen[k]) missing.push(k);
  return missing;
}

function isOneHot(Y: Float32Array, N: number, C: number): boolean {
  if (C < 2) return false;
  for (let i = 0; i < N; i++) {
    let ones = 0;
    for (let j = 0; j < C; j++) {
      const v = Y[i * C + j];
      if (v === 1) ones++;
      else if (v !== 0) return false;
    }
    if (ones !== 1) return false;
  }
  return true;
}

/**
 * y as Y (N, C). The task, unless `hints.task` forces it:
 * - strings, or one number per row that are all non-negative integers → classification (labels);
 * - rows of C values that are one-hot → classification;
 * - anything else (fractional values, rows that are not one-hot) → regression.
 */
export function targetMatrix(field: string, y: unknown, hints: TargetHints): TargetMatrix {
  const N = hints.rows;
  if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<unknown>).length !== 'number')
    throw errors.badInput(field, 'expected one target per row of x (labels or values) or rows of targets');
  const n = (y as ArrayLike<unknown>).length;
  if (Array.isArray(y) && n > 0 && typeof y[0] === 'string') {
    for (let i = 0; i < n; i++) {
      if (y[i] === undefined || y[i] === null) throw errors.badInput(field, `label ${i} is missing (every row of x needs a target)`);
      if (typeof y[i] !== 'string') throw errors.badInput(field, 'mixes strings and other values: give class labels as all strings or all integers');
    }
    if (n !== N) throw errors.badInput(field, `expected ${plural(N, 'label')} (one per row of x), got ${n}`);
    if (hints.task === 'regression') throw errors.badInput(field, 'string labels are classes, but task is "regression"');
    const { labels, names } = indexStrings(field, y as string[], hints.classes);
    const outputs = hints.outputs ?? { count: names.length, source: '(its classes)' };
    if (outputs.count !== undefined && outputs.count !== names.length)
      throw errors.badInput(field, `has ${plural(names.length, 'class')} (${names.join(', ')}), but the model has ${outputs.count} outputs ${outputs.source}`);
    return { ...oneHot(field, labels, N, { ...hints, outputs }), classes: names };
  }
  if (isRows(y)) {
    const m = inputMatrix(field, y, { count: hints.outputs?.count, source: hints.outputs?.source ?? '' });
    if (m.rows !== N) throw errors.badInput(field, `expected ${plural(N, 'row')} (one per row of x), got ${m.rows}`);
    return rowTargets(field, m, hints);
  }
  if (!isNumberArray(y)) throw errors.badInput(field, 'expected one target per row of x (labels or values) or rows of targets');
  if (n === N) {
    let integers = true;
    let negative = -1; // the first negative label, when every value is a whole number
    for (let i = 0; i < n; i++) {
      const v = y[i];
      if (v === undefined) throw errors.badInput(field, `label ${i} is missing (every row of x needs a target)`);
      if (!Number.isInteger(v)) integers = false;
      else if (v < 0 && negative < 0) negative = i;
    }
    const C = hints.outputs?.count;
    // whole numbers with a negative one: neither class labels (0..C−1) nor, without saying so, regression targets
    if (hints.task === undefined && integers && negative >= 0 && C !== 1)
      throw errors.badInput(field, `label ${negative} is ${y[negative]}: class labels are whole numbers 0..C−1; to fit whole numbers as values give task: "regression"`);
    const classify = hints.task === 'classification' || (hints.task === undefined && integers && C !== 1);
    if (classify) return oneHot(field, y, N, hints);
    if (C !== undefined && C !== 1) throw errors.badInput(field, `one regression target per row, but the model has ${C} outputs ${hints.outputs!.source}`);
    const Y = sharedFloat32(N); // (N, 1)
    for (let i = 0; i < N; i++) Y[i] = y[i];
    checkFinite(field, Y, 1);
    return { X: Y, rows: N, cols: 1, task: 'regression' };
  }
  const C = hints.outputs?.count;
  if (C === undefined || C < 2 || n !== N * C) {
    const rowsOf = C !== undefined && C > 1 ? ` or ${N * C} (${N} rows of ${C} ${hints.outputs!.source})` : '';
    throw errors.badInput(field, `expected ${N} values (one per row of x)${rowsOf}, got ${n}`);
  }
  return rowTargets(field, inputMatrix(field, y, { count: C, source: hints.outputs!.source }), hints);
}

function rowTargets(field: string, m: Matrix, hints: TargetHints): TargetMatrix {
  const hot = isOneHot(m.X, m.rows, m.cols);
  if (hints.task === 'classification' && !hot) throw errors.badInput(field, 'rows of targets for classification must be one-hot (a single 1, the rest 0); or give one integer label per row');
  return { ...m, task: hints.task ?? (hot ? 'classification' : 'regression') };
}
