import { readFileSync } from 'node:fs';
import { checkColumnNames, fsProblem, isCsvNumber, readFileOrFail } from '@shardgrad/coordinator';
import { errors, type DataDescription } from '@shardgrad/core';
import { parse } from 'csv-parse/sync';

/** Rows of numbers read for prediction: X is (rows, columns). */
export interface NumericRows {
  readonly X: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

/** Which columns of the input feed the model, in the model's order. */
function inputColumnsOf(name: string, header: string[] | null, width: number, data: DataDescription | undefined, labelColumn: string | undefined): number[] {
  const all = Array.from({ length: width }, (_, j) => j);
  if (labelColumn !== undefined) {
    const drop = /^\d+$/.test(labelColumn) ? Number(labelColumn) : (header?.indexOf(labelColumn) ?? -1);
    if (drop < 0 || drop >= width)
      throw errors.badInput('--label-column', header ? `"${labelColumn}" is not a column of ${name} (columns: ${header.join(', ')})` : `${labelColumn} is not a column index of ${name} (it has ${width} columns, indices 0..${width - 1}; no header row)`);
    return all.filter((j) => j !== drop);
  }
  if (header && data?.inputColumns) {
    // the model knows its input columns by name: take those, in its order, and ignore the rest
    return data.inputColumns.map((c) => {
      const j = header.indexOf(c);
      if (j < 0) throw errors.badInput(name, `has no column "${c}", an input of the model (columns: ${header.join(', ')})`);
      return j;
    });
  }
  if (header) {
    // the model's own target columns, or a column named "label", are not inputs
    const targets = new Set((data?.targetColumns ?? ['label']).map((t) => t.toLowerCase()));
    return all.filter((j) => !targets.has(header[j].toLowerCase()));
  }
  return all;
}

/**
 * Reads CSV rows of `columns` numbers from a file or stdin ("-") for a model described by `data`.
 * A first row with no number in it is a header (the rule training uses). With a header, the
 * model's input columns are taken by name when the model knows them, else every column but the
 * model's label column (or one named "label"); `labelColumn` names a column to drop instead, by
 * name or 0-based index. Every problem is one line naming the source, the line and the cell.
 */
export function readNumericRows(source: string, columns: number, data?: DataDescription, labelColumn?: string): NumericRows {
  const name = source === '-' ? 'stdin' : source;
  const text = source === '-' ? readStdin() : readFileOrFail(source).toString('utf8');
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as string[][];
  } catch (e) {
    throw errors.badInput(name, `not valid CSV (${(e as Error).message})`);
  }
  const header = records.length > 0 && records[0].every((c) => !isCsvNumber(c)) ? records[0] : null;
  if (header) checkColumnNames(name, header);
  const first = header ? 1 : 0;
  const rows = records.length - first;
  if (rows === 0) throw errors.badInput(name, 'no data rows');
  const width = records[first].length;
  const picked = inputColumnsOf(name, header, header?.length ?? width, data, labelColumn);
  const X = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const rec = records[first + r];
    const line = first + r + 1;
    if (rec.length !== (header?.length ?? width)) throw errors.badInput(name, `line ${line} has ${rec.length} values, ${header ? 'the header has' : `line ${first + 1} has`} ${header?.length ?? width}`);
    if (picked.length !== columns) {
      const hint = header ? '' : ' (name a column to leave out with --label-column INDEX)';
      throw errors.badInput(name, `line ${line} has ${picked.length} values${picked.length === rec.length ? '' : ' to use'}, the model takes ${columns}${hint}`);
    }
    for (let j = 0; j < columns; j++) {
      const cell = rec[picked[j]];
      if (!isCsvNumber(cell)) throw errors.badInput(name, `line ${line}, column ${picked[j] + 1}: ${cell === '' ? 'empty cell' : `"${cell}" is not a number`}`);
      X[r * columns + j] = Number(cell);
    }
  }
  return { X, rows, columns };
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw errors.badInput('stdin', `cannot read: ${fsProblem(e)}`);
  }
}
