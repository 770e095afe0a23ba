import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { errors } from '@shardgrad/core';

/**
 * Writes bytes to `path` through a temporary file in the same directory and a rename, so readers
 * see either the old file or the complete new one, never a half-written file.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw errors.badInput(path, `cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
