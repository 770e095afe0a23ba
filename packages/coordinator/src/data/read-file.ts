import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { errors } from '@shardgrad/core';

/** Why a file could not be read, in words a user can act on. */
function readProblem(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read the file (${e.code ?? e.message})`;
  }
}

/** The bytes of `file`; a missing, unreadable or directory path throws a ShardgradError naming it. */
export function readDataFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw errors.badInput(file, readProblem(e as NodeJS.ErrnoException));
  }
}

/** The bytes of `file`, gunzipped when they start with the gzip magic 1f 8b (e.g. `*.gz`). */
export function readMaybeGzipped(file: string): Buffer {
  const raw = readDataFile(file);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw errors.badInput(file, `not a valid gzip file (${(e as Error).message})`);
  }
}
