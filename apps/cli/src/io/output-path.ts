import { statSync } from 'node:fs';
import path from 'node:path';
import { errors } from '@shardgrad/core';

/**
 * Fails before any work when `file` could not be written later: its folder must exist and the
 * path must not be a folder. Checked up front so a long run does not end in a write error.
 */
export function checkWritable(flag: string, file: string): void {
  if (file.trim() === '') throw errors.badInput(flag, 'needs a file name');
  const dir = path.dirname(path.resolve(file));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw errors.badInput(flag, `cannot write ${file}: folder ${dir} does not exist`);
  try {
    if (statSync(file).isDirectory()) throw errors.badInput(flag, `${file} is a folder, not a file`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
