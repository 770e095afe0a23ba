import { errors } from '@shardgrad/core';
import type { DataSource } from '../api.js';
import { loadCsv } from './csv.js';
import type { Dataset } from './dataset.js';
import { loadIdx } from './idx.js';
import { loadMnist } from './mnist.js';
import { makeSynthetic, SYNTHETIC_NAMES, syntheticSettings, type SyntheticName, type SyntheticOptions } from './synthetic.js';

const FORMS = 'mnist, csv:PATH, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], xor, circles, spiral, blobs';

function isSyntheticName(s: string): s is SyntheticName {
  return (SYNTHETIC_NAMES as readonly string[]).includes(s);
}

/** `N`, `samples=N`, `noise=X`, `classes=K`, comma-separated, for a built-in set. */
function parseSyntheticOptions(name: SyntheticName, text: string): SyntheticOptions {
  const options: { samples?: number; noise?: number; classes?: number } = {};
  for (const item of text.split(',')) {
    const [key, value] = item.includes('=') ? item.split('=', 2) : ['samples', item];
    if (key !== 'samples' && key !== 'noise' && key !== 'classes')
      throw errors.badInput('--data', `unknown ${name} option "${key}" (use ${name}:N or ${name}:samples=N,noise=X,classes=K)`);
    const v = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(v)) throw errors.badInput('--data', `${name} ${key} "${value}" is not a number`);
    options[key] = v;
  }
  return options;
}

/**
 * Parses the CLI's `--data` value: `mnist` (also the empty string), `csv:PATH`,
 * `idx:IMAGES,LABELS` or `idx:IMAGES,LABELS,TEST_IMAGES,TEST_LABELS`, and the built-in sets
 * `xor`, `circles`, `spiral`, `blobs`, each optionally `NAME:N` or `NAME:samples=N,noise=X,classes=K`.
 * Anything else throws a ShardgradError naming `--data`. Files are not opened here.
 */
export function parseDataFlag(flag: string): DataSource {
  const value = flag.trim();
  if (value === '' || value === 'mnist') return { kind: 'mnist' };
  const colon = value.indexOf(':');
  const head = colon < 0 ? value : value.slice(0, colon);
  const rest = colon < 0 ? '' : value.slice(colon + 1);
  if (head === 'csv') {
    if (rest === '') throw errors.badInput('--data', 'csv needs a file: csv:PATH');
    return { kind: 'csv', path: rest };
  }
  if (head === 'idx') {
    const files = rest.split(',');
    if ((files.length !== 2 && files.length !== 4) || files.some((f) => f === ''))
      throw errors.badInput('--data', 'idx needs two or four files: idx:IMAGES,LABELS or idx:IMAGES,LABELS,TEST_IMAGES,TEST_LABELS');
    const [images, labels, testImages, testLabels] = files;
    return files.length === 4 ? { kind: 'idx', images, labels, testImages, testLabels } : { kind: 'idx', images, labels };
  }
  if (isSyntheticName(head)) {
    if (colon < 0) return { kind: 'synthetic', name: head };
    const options = parseSyntheticOptions(head, rest);
    syntheticSettings(head, options); // range errors now, not after the run has started
    return { kind: 'synthetic', name: head, ...options };
  }
  const hint = /\.(csv|tsv|txt)$/i.test(value) ? `; did you mean csv:${value}?` : /ubyte(\.gz)?$/i.test(value) ? '; did you mean idx:IMAGES,LABELS?' : '';
  throw errors.badInput('--data', `unknown data source "${flag}" (expected ${FORMS}${hint})`);
}

/**
 * Loads any data source into shared buffers (X (N, D) and Y (N, C), each over one
 * SharedArrayBuffer, written once, never copied). `seed` drives the built-in sets only; file splits
 * use their own fixed seed so every run holds out the same rows.
 */
export function loadDataset(source: DataSource, seed: number): Dataset {
  switch (source.kind) {
    case 'mnist':
      return loadMnist();
    case 'csv':
      return loadCsv(source);
    case 'idx':
      return loadIdx(source.images, source.labels, source.testImages, source.testLabels);
    case 'synthetic':
      return makeSynthetic(source.name, seed, source);
  }
}
