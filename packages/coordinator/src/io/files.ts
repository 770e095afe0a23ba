import { closeSync, fsyncSync, lstatSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { errors } from '@shardgrad/core';

/** Why a file operation failed, in words a user can act on (never a bare errno code). */
export function fsProblem(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default: {
      // Node's text is "CODE: words, syscall 'path'": keep the words
      const words = /^[A-Z0-9_]+: ([^,]+)/.exec(err?.message ?? '')?.[1];
      return words ?? err?.message ?? String(e);
    }
  }
}

/** The bytes of `file`; a missing, unreadable or folder path throws a one-line ShardgradError naming it. */
export function readFileOrFail(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw errors.badInput(file, fsProblem(e));
  }
}

/** What a non-regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Where writing `file` lands: the file itself, or the end of its chain of symbolic links (a link is
 * written through, never replaced). Throws naming `where` when that path exists and is not a regular
 * file: devices, FIFOs, sockets and folders are never replaced.
 */
export function writeTarget(file: string, where: string = file): string {
  let target = path.resolve(file);
  for (let hops = 0; ; hops++) {
    let st: Stats;
    try {
      st = lstatSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return target;
      throw errors.badInput(where, `cannot write ${file}: ${fsProblem(e)}`);
    }
    if (st.isFile()) return target;
    if (!st.isSymbolicLink()) throw errors.badInput(where, `cannot write ${file}: it is ${kindOf(st)}, and shardgrad only replaces regular files`);
    if (hops >= 40) throw errors.badInput(where, `cannot write ${file}: too many symbolic links`);
    target = path.resolve(path.dirname(target), readlinkSync(target));
  }
}

/** A fresh temporary name beside `target`, opened exclusively so nothing already there is followed. */
function tempBeside(target: string, tag: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${tag}`);
}

/**
 * Fails before any work when `file` could not be written later: its folder must exist and accept a
 * new file, and the path must not be a device, FIFO, socket or folder. `flag` names the option in
 * the message. Checked up front so a long run does not end in a write error.
 */
export function checkWritable(flag: string, file: string): void {
  if (file.trim() === '') throw errors.badInput(flag, 'needs a file name');
  const target = writeTarget(file, flag);
  const dir = path.dirname(target);
  if (!isFolder(dir)) throw errors.badInput(flag, `cannot write ${file}: folder ${dir} does not exist`);
  probeFolder(flag, dir, file);
}

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Fails before any work when the folder `folder` could not be created or written later: it, or its
 * nearest existing parent when it does not exist yet, must be a folder that accepts a new file.
 */
export function checkFolderWritable(flag: string, folder: string): void {
  let dir = path.resolve(folder);
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw errors.badInput(flag, `cannot use ${folder}: ${fsProblem(e)}`);
    }
    if (st) {
      if (!st.isDirectory()) throw errors.badInput(flag, `cannot use ${folder}: ${dir} is not a folder`);
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  probeFolder(flag, dir, folder);
}

/** Creates and removes a probe file in `dir`: finds read-only and full file systems and missing permissions. */
function probeFolder(flag: string, dir: string, shown: string): void {
  const probe = tempBeside(path.join(dir, 'probe'), 'probe');
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no file can be created there' : fsProblem(e);
    throw errors.badInput(flag, `cannot write ${shown}: ${why} (in ${dir})`);
  }
}

/**
 * Writes bytes to `file` atomically: a temporary file beside the target, fsync, then a rename, so
 * readers see the old file or the complete new one, never half of it. A symbolic link is written
 * through to its target; a device, FIFO, socket or folder is refused, never replaced. Failures are
 * one line naming `file`, and leave no temporary file behind.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const target = writeTarget(file);
  const tmp = tempBeside(target, 'tmp');
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw errors.badInput(file, `cannot write: ${missing ? `folder ${path.dirname(target)} does not exist` : fsProblem(e)}`);
  }
}
