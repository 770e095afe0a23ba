import { checkColumnNames, forEachCsvRecord, isCsvNumber, RowStore } from '@shardgrad/coordinator';
import { errors, type DataDescription } from '@shardgrad/core';

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
  const store = new RowStore(columns); // (rows, columns) in chunks until the count is known
  let header: string[] | null = null;
  let width = -1; // the width every row must have: the header's, else the first row's
  let firstRow = 0; // the record number of the first data row (1-based)
  let picked: number[] = [];
  let record = 0;
  forEachCsvRecord(source, name, (rec) => {
    const line = ++record; // records are counted, as before: a quoted line break does not count
    if (width < 0) {
      width = rec.length;
      if (rec.every((c) => !isCsvNumber(c))) {
        header = rec;
        checkColumnNames(name, header);
        return;
      }
    }
    if (firstRow === 0) {
      firstRow = line;
      picked = inputColumnsOf(name, header, width, data, labelColumn);
    }
    if (rec.length !== width) throw errors.badInput(name, `line ${line} has ${rec.length} values, ${header ? 'the header has' : `line ${firstRow} has`} ${width}`);
    if (picked.length !== columns) {
      const hint = header ? '' : ' (name a column to leave out with --label-column INDEX)';
      throw errors.badInput(name, `line ${line} has ${picked.length} values${picked.length === rec.length ? '' : ' to use'}, the model takes ${columns}${hint}`);
    }
    store.beginRow();
    for (let j = 0; j < columns; j++) {
      const cell = rec[picked[j]];
      if (!isCsvNumber(cell)) throw errors.badInput(name, `line ${line}, column ${picked[j] + 1}: ${cell === '' ? 'empty cell' : `"${cell}" is not a number`}`);
      store.set(j, Number(cell));
    }
  });
  const rows = store.rows;
  if (rows === 0) throw errors.badInput(name, 'no data rows');
  const X = new Float32Array(rows * columns); // (rows, columns)
  store.moveTo(X);
  return { X, rows, columns };
}
