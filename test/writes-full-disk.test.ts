import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli, sh, tempDir, tmpfsMounts } from './cli-helpers.js';

/**
 * Every write on a full file system: a 200 KiB tmpfs holding a good previous file, then filled to
 * the last page. Each command must fail with exit 1 and one line naming the file and "no space left
 * on the device", leave the previous file's bytes exactly as they were, and leave no temporary file.
 * Stdout redirected to /dev/full is an error too (only a closed pipe is quiet).
 */
const dir = tempDir('full-disk');
const { canMount, mounted, unmountAll } = tmpfsMounts(dir);
afterAll(unmountAll);

/** A fresh 200 KiB tmpfs at dir/name with `files` copied in, then a filler file taking every page left. */
function fullDisk(name: string, files: Record<string, string>): string {
  const mount = path.join(dir, name);
  mkdirSync(mount);
  expect(sh(`mount -t tmpfs -o size=200k tmpfs ${mount}`).status).toBe(0);
  mounted.push(mount);
  for (const [rel, from] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(mount, rel)), { recursive: true });
    copyFileSync(from, path.join(mount, rel));
  }
  // dd stops with "No space left on device": the file system is full to its last page
  sh(`dd if=/dev/zero of=${mount}/filler bs=4k 2>/dev/null`);
  expect(sh(`echo x > ${mount}/probe-write`).status).not.toBe(0);
  rmSync(path.join(mount, 'probe-write'), { force: true });
  return mount;
}

const xor = ['--data', 'xor:40', '--hidden', '3', '--batch', '8', '--workers', '0'];
const good = path.join(dir, 'good.sgm');
const goodCheckpointDir = path.join(dir, 'good-ck');

/** A device failure: exit 1 and exactly one line on stderr, `line`. */
function expectWriteFailure(r: { status: number | null; stderr: string }, line: string): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toBe(`shardgrad: ${line}\n`);
}

describe.runIf(canMount)('a full disk never replaces a good file', () => {
  it('prepares a good model and a good checkpoint on a roomy disk', () => {
    expect(runCli(['train', ...xor, '--epochs', '2', '--out', good]).status).toBe(0);
    expect(runCli(['train', ...xor, '--epochs', '1', '--checkpoint', goodCheckpointDir, '--out', path.join(dir, 'unused.sgm')]).status).toBe(0);
  });

  it('train --out: exit 1, one line, the previous model byte for byte', () => {
    const disk = fullDisk('out', { 'm.sgm': good });
    const target = path.join(disk, 'm.sgm');
    const r = runCli(['train', ...xor, '--epochs', '3', '--out', target]);
    expectWriteFailure(r, `${target}: cannot write: no space left on the device`);
    expect(readFileSync(target).equals(readFileSync(good))).toBe(true);
    expect(readdirSync(disk).sort()).toEqual(['filler', 'm.sgm']);
  });

  it('train --checkpoint: the run stops at the first checkpoint it cannot write, the previous checkpoint byte for byte', () => {
    const before = path.join(goodCheckpointDir, 'checkpoint.sgm');
    const disk = fullDisk('ck', { 'ck/checkpoint.sgm': before });
    const ck = path.join(disk, 'ck', 'checkpoint.sgm');
    const out = path.join(dir, 'ck-model.sgm');
    const r = runCli(['train', ...xor, '--epochs', '3', '--checkpoint', path.join(disk, 'ck'), '--out', out]);
    expectWriteFailure(r, `${ck}: cannot write: no space left on the device`);
    expect(readFileSync(ck).equals(readFileSync(before))).toBe(true);
    expect(readdirSync(path.join(disk, 'ck'))).toEqual(['checkpoint.sgm']);
    expect(readdirSync(dir)).not.toContain('ck-model.sgm');
  });

  it('export --format onnx and safetensors: exit 1, the previous export byte for byte', () => {
    for (const [format, name] of [['onnx', 'm.onnx'], ['safetensors', 'm.safetensors']]) {
      const previous = path.join(dir, `previous-${name}`);
      writeFileSync(previous, `an earlier ${format} export`);
      const disk = fullDisk(`export-${format}`, { [name]: previous });
      const target = path.join(disk, name);
      const r = runCli(['export', '--model', good, '--format', format, '--out', target]);
      expectWriteFailure(r, `${target}: cannot write: no space left on the device`);
      expect(readFileSync(target, 'utf8')).toBe(`an earlier ${format} export`);
      expect(readdirSync(disk).sort()).toEqual(['filler', name]);
    }
  });

  it('import --out: exit 1, the previous model byte for byte', () => {
    const onnx = path.join(dir, 'for-import.onnx');
    expect(runCli(['export', '--model', good, '--format', 'onnx', '--out', onnx]).status).toBe(0);
    const disk = fullDisk('import', { 'm.sgm': good });
    const target = path.join(disk, 'm.sgm');
    const r = runCli(['import', '--model', onnx, '--out', target]);
    expectWriteFailure(r, `${target}: cannot write: no space left on the device`);
    expect(readFileSync(target).equals(readFileSync(good))).toBe(true);
  });
});

describe('stdout on a full device (/dev/full) is an error; a closed pipe is not', () => {
  it('predict > /dev/full: exit 1 and one line saying the output is incomplete', () => {
    const input = path.join(dir, 'rows.csv');
    writeFileSync(input, 'x,y\n' + Array.from({ length: 1000 }, (_, i) => `${(i % 7) - 3},${(i % 5) - 2}`).join('\n'));
    const model = path.join(dir, 'predict.sgm');
    expect(runCli(['train', ...xor, '--epochs', '1', '--out', model]).status).toBe(0);
    const r = sh(`node ${CLI} predict --model ${model} --input ${input} > /dev/full`);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('shardgrad: stdout: cannot write: no space left on the device; the output is incomplete\n');
  });

  it('train --json > /dev/full: exit 1, and the model is still written', () => {
    const model = path.join(dir, 'json-full.sgm');
    const r = sh(`node ${CLI} train ${xor.join(' ')} --epochs 2 --json --out ${model} > /dev/full`);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('shardgrad: stdout: cannot write: no space left on the device; the output is incomplete\n');
    expect(readFileSync(model).subarray(0, 8).toString()).toBe('SHRDGRAD');
  });
});
