import { gunzipSync } from 'node:zlib';
import { errors } from '@shardgrad/core';
import { readFileOrFail } from '../io/files.js';

/** The bytes of `file`, gunzipped when they start with the gzip magic 1f 8b (e.g. `*.gz`). */
export function readMaybeGzipped(file: string): Buffer {
  const raw = readFileOrFail(file);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw errors.badInput(file, `not a valid gzip file (${(e as Error).message})`);
  }
}
