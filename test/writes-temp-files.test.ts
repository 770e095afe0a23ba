import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readModelFile, writeFileAtomic } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDir } from './cli-helpers.js';

/**
 * The temporary file beside each target: its name fits wherever the target's does (a 255-byte
 * --out trains and writes), a name file systems cannot hold is refused before training, and the
 * temporary files that killed writers left behind are removed by the next successful write.
 */
const dir = tempDir('temp-files');
const xor = ['--data', 'xor:40', '--hidden', '2', '--batch', '8', '--epochs', '1', '--workers', '0'];

/** The pid of a process that has ended (a child run to completion). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('--out names up to the file-system limit', () => {
  it.each([248, 250, 255])('a %i-byte name trains and is written, with no temporary file left', (n) => {
    const sub = path.join(dir, `long-${n}`);
    mkdirSync(sub);
    const name = `${'m'.repeat(n - 4)}.sgm`;
    expect(Buffer.byteLength(name)).toBe(n);
    const r = runCli(['train', ...xor, '--out', path.join(sub, name)]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(sub)).toEqual([name]);
    expect(readModelFile(path.join(sub, name)).spec.sizes).toEqual([2, 2, 2]);
  });

  it('a 254-byte name of two-byte characters too (the temporary name is cut at a character boundary)', () => {
    const sub = path.join(dir, 'long-utf8');
    mkdirSync(sub);
    const fits = `${'é'.repeat(124)}.sgm\u00e9`; // 124·2 + 4 + 2 = 254 bytes
    expect(Buffer.byteLength(fits)).toBe(254);
    writeFileAtomic(path.join(sub, fits), 'bytes');
    expect(readdirSync(sub)).toEqual([fits]);
  });

  it('a 256-byte name is refused before any training (exit 2, one line)', () => {
    const name = `${'m'.repeat(252)}.sgm`;
    const r = runCli(['train', ...xor, '--json', '--out', path.join(dir, name)]);
    expectOneLineError(r, `--out: cannot write ${path.join(dir, name)}: the name mmmmmmmmmmmmmmmmmmmm… is 256 bytes long, file systems allow 255`);
    expect(r.stdout).toBe('');
  });
});

describe('temporary files of killed writers', () => {
  it('are removed by the next successful write of the same target; a running writer\'s and other targets\' stay', () => {
    const sub = path.join(dir, 'stale');
    mkdirSync(sub);
    const dead = deadPid();
    const stale = `.model.sgm.${dead}.tmp`;
    const running = `.model.sgm.${process.pid}.tmp`; // this test's own process is alive
    const otherTarget = `.other.sgm.${dead}.tmp`;
    const lookalike = `.model.sgm.backup.${dead}.tmp`;
    for (const name of [stale, running, otherTarget, lookalike]) writeFileSync(path.join(sub, name), 'half a model');
    const r = runCli(['train', ...xor, '--out', path.join(sub, 'model.sgm')]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(sub).sort()).toEqual([running, lookalike, otherTarget, 'model.sgm'].sort());
  });

  it('of a checkpoint (kill -9 during its write) are removed by the next checkpoint', () => {
    const ck = path.join(dir, 'stale-ck');
    mkdirSync(ck);
    const stale = `.checkpoint.sgm.${deadPid()}.tmp`;
    writeFileSync(path.join(ck, stale), 'half a checkpoint');
    const r = runCli(['train', ...xor, '--checkpoint', ck, '--out', path.join(dir, 'ck-model.sgm')]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(ck)).toEqual(['checkpoint.sgm']);
    expect(existsSync(path.join(ck, stale))).toBe(false);
  });
});
