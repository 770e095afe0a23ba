import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../packages/coordinator/src/io/files.js';
import { tempDir } from './fixtures/train-fixtures.js';

/**
 * writeFileAtomic against a device that takes only a few bytes per write (as pipes, network file
 * systems and signals can make write(2) do), one that takes none, and the fsyncs: node:fs is
 * wrapped so each write takes at most `perCall` bytes and every fsync is recorded.
 */
const calls = { writes: 0, perCall: Infinity, fsynced: [] as string[] };

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
      calls.writes++;
      return real.writeSync(fd, buffer, offset, Math.min(length, calls.perCall));
    },
    fsyncSync: (fd: number) => {
      const st = real.fstatSync(fd);
      calls.fsynced.push(st.isDirectory() ? 'folder' : 'file');
      return real.fsyncSync(fd);
    },
  };
});

beforeEach(() => {
  calls.writes = 0;
  calls.perCall = Infinity;
  calls.fsynced = [];
});

describe('writeFileAtomic writes every byte', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);

  it('continues after short writes: 7 bytes a call, 143 calls, the whole file', () => {
    calls.perCall = 7;
    const file = path.join(tempDir('short-writes'), 'm.sgm');
    writeFileAtomic(file, bytes);
    expect(calls.writes).toBe(Math.ceil(1000 / 7)); // 143
    expect(readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
  });

  it('fsyncs the file before the rename and the folder after it', () => {
    const file = path.join(tempDir('fsyncs'), 'm.sgm');
    writeFileAtomic(file, bytes);
    expect(calls.fsynced).toEqual(['file', 'folder']);
  });

  it('a device that takes no byte is an I/O error (exit 1); the previous file and the folder stay as they were', () => {
    const dir = tempDir('no-bytes');
    const file = path.join(dir, 'm.sgm');
    writeFileSync(file, 'the previous model');
    calls.perCall = 0;
    let error: { message: string; exitCode: number } | undefined;
    try {
      writeFileAtomic(file, bytes);
    } catch (e) {
      error = e as { message: string; exitCode: number };
    }
    expect(error?.message).toBe(`${file}: cannot write: input/output error (the device failed)`);
    expect(error?.exitCode).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('the previous model');
    expect(readdirSync(dir)).toEqual(['m.sgm']);
  });

  it('a string is written as its UTF-8 bytes', () => {
    calls.perCall = 3;
    const file = path.join(tempDir('string'), 'c.svg');
    writeFileAtomic(file, '<svg>é</svg>');
    expect(readFileSync(file, 'utf8')).toBe('<svg>é</svg>');
  });
});
