import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
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
    case 'EIO':
      return 'input/output error (the device failed)';
    case 'EFBIG':
      return 'the file is too large for the file system';
    default: {
      // Node's text is "CODE: words, syscall 'path'": keep the words
      const words = /^[A-Z0-9_]+: ([^,]+)/.exec(err?.message ?? '')?.[1];
      return words ?? err?.message ?? String(e);
    }
  }
}

/**
 * Fails unless `file` is a regular file (a symbolic link to one is fine): a folder, a device such as
 * /dev/zero, a FIFO or a socket would block or never end. One line naming the file.
 */
export function checkRegularFile(file: string): void {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw errors.badInput(file, fsProblem(e));
  }
  if (st.isDirectory()) throw errors.badInput(file, fsProblem({ code: 'EISDIR' }));
  if (!st.isFile()) throw errors.badInput(file, `is ${kindOf(st)}, not a regular file (shardgrad reads files whole; give a file, or - for stdin where a command takes it)`);
}

/** The bytes of `file`; a missing, unreadable or non-regular path throws a one-line ShardgradError naming it. */
export function readFileOrFail(file: string): Buffer {
  checkRegularFile(file);
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

/** The longest file name (in bytes) common file systems allow (NAME_MAX on Linux, macOS and Windows). */
const NAME_MAX = 255;
/** Room for the process id and the tag in a temporary name: ".<pid>.<tag>" with pids up to 2^22 and a 5-byte tag. */
const TEMP_SUFFIX_ROOM = 16;

/**
 * The part of every temporary name for `target` before ".<pid>.<tag>": "." and the target's name, or,
 * when that would not fit in NAME_MAX bytes, the name cut to fit (at a character boundary) plus "~"
 * and 8 hex digits of the whole name's SHA-256, so two long names that share a prefix keep apart.
 */
function tempStem(target: string): string {
  const base = path.basename(target);
  const room = NAME_MAX - TEMP_SUFFIX_ROOM - 1; // 1 for the leading "."
  if (Buffer.byteLength(base) <= room) return `.${base}`;
  const tag = `~${createHash('sha256').update(base).digest('hex').slice(0, 8)}`;
  let cut = '';
  let bytes = 0;
  for (const ch of base) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > room - tag.length) break;
    cut += ch;
    bytes += n;
  }
  return `.${cut}${tag}`;
}

/** A temporary name beside `target` for this process; it fits wherever the target's name does. */
function tempBeside(target: string, tag: string): string {
  return path.join(path.dirname(target), `${tempStem(target)}.${process.pid}.${tag}`);
}

/** Whether process `pid` still runs (EPERM: it does, as another user's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of `target` that processes which no longer run left behind (a kill -9
 * during a write). Another live process's temporary file is its write in progress and stays.
 * Best effort: the write itself has already succeeded.
 */
function removeStaleTemps(target: string): void {
  const stem = tempStem(target);
  let names: string[];
  try {
    names = readdirSync(path.dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(`${stem}.`) || !name.endsWith('.tmp')) continue;
    const pid = name.slice(stem.length + 1, -'.tmp'.length);
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    try {
      rmSync(path.join(path.dirname(target), name), { force: true });
    } catch {
      // left for the next write
    }
  }
}

/**
 * Fails before any work when `file` could not be written later: its folder must exist and accept a
 * new file, and the path must not be a device, FIFO, socket or folder. `flag` names the option in
 * the message. Checked up front so a long run does not end in a write error.
 */
export function checkWritable(flag: string, file: string): void {
  if (file.trim() === '') throw errors.badInput(flag, 'needs a file name');
  checkNameLengths(flag, file);
  const target = writeTarget(file, flag);
  const dir = path.dirname(target);
  if (!isFolder(dir)) throw errors.badInput(flag, `cannot write ${file}: folder ${dir} does not exist`);
  probeFolder(flag, dir, file);
}

/** Fails when a part of `file`'s path is longer than file systems allow, before any work. */
function checkNameLengths(flag: string, file: string): void {
  for (const part of path.resolve(file).split(path.sep)) {
    const n = Buffer.byteLength(part);
    if (n > NAME_MAX) throw errors.badInput(flag, `cannot write ${file}: the name ${part.length > 40 ? `${part.slice(0, 20)}…` : part} is ${n} bytes long, file systems allow ${NAME_MAX}`);
  }
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
  checkNameLengths(flag, folder);
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

/** Errors of the path given (exit 2): everything else at write time is the device failing (exit 1). */
const PATH_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG', 'EISDIR', 'ELOOP']);

/** Writes all of `bytes` to `fd`: writeSync may write fewer bytes than asked, so it loops until none are left. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw Object.assign(new Error('the device accepted no more bytes'), { code: 'EIO' });
    done += n;
  }
}

/** Flushes the folder `dir` itself, so the rename inside it survives a power cut. */
function fsyncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (e) {
    // some file systems cannot fsync a folder; that is no failure of this write
    if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes bytes to `file` atomically: every byte to a temporary file beside the target, fsync, a
 * rename over the target, fsync of the folder; readers see the old file or the complete new one,
 * never half of it. A symbolic link is written through to its target; a device, FIFO, socket or
 * folder is refused, never replaced. Any failure leaves the previous file as it was, removes the
 * temporary file and is one line naming `file` and the cause in words: exit 2 for a path that
 * cannot be written (a missing folder, no permission, a read-only file system), exit 1 when the
 * device fails (no space left, an I/O error). After a success, temporary files of the same target
 * left by killed processes are removed.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const target = writeTarget(file);
  const tmp = tempBeside(target, 'tmp');
  let fd: number | undefined;
  let renamed = false;
  try {
    fd = openSync(tmp, 'wx');
    writeAll(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
    renamed = true;
    fsyncFolder(path.dirname(target));
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    if (!renamed) rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') throw errors.badInput(file, `cannot write: folder ${path.dirname(target)} does not exist`);
    const problem = `cannot write: ${fsProblem(e)}${renamed ? ' (while flushing the folder; the new file is in place)' : ''}`;
    throw PATH_ERRORS.has(code) ? errors.badInput(file, problem) : errors.writeFailed(file, problem);
  }
  removeStaleTemps(target);
}
