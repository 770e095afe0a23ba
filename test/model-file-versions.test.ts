import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelFile } from '@shardgrad/coordinator';
import { encodeModelFile } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDir } from './cli-helpers.js';

/**
 * Files of the previous format (test/fixtures/format-v1, see its README) load with one warning line
 * and the checkpoint resumes to the bytes of an uninterrupted run; a file of this version with any
 * header byte changed is refused in one line.
 */
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'format-v1');
const dir = tempDir('versions');
const warning = (file: string) =>
  `shardgrad: warning: ${file} is in an older model format whose checksum covers the weights but not the header (input scaling, class names, step counts): it loads, but damage to its header would go unnoticed; files written from now on are checksummed whole`;
const params = (file: string) => Buffer.from(readModelFile(file).tensors.get('params')!.buffer);

describe('today\'s files (format versions 1 and 2)', () => {
  const input = path.join(dir, 'points.csv');
  writeFileSync(input, 'x,y\n-1,-1\n-1,1\n1,-1\n1,1\n0.5,-0.25\n');

  it('predict reads a version 1 model with one warning line, and predicts as the same model rewritten in version 3', () => {
    const v1 = path.join(fixtures, 'xor-v1.sgm');
    const old = runCli(['predict', '--model', v1, '--input', input]);
    expect(old.status, old.stderr).toBe(0);
    expect(old.stderr).toBe(`${warning(v1)}\n`);
    const v3 = path.join(dir, 'xor-v3.sgm');
    writeFileSync(v3, encodeModelFile(readModelFile(v1)));
    const now = runCli(['predict', '--model', v3, '--input', input]);
    expect([now.status, now.stderr]).toEqual([0, '']);
    expect(now.stdout.split('\n').filter(Boolean)).toHaveLength(5);
    expect(old.stdout).toBe(now.stdout);
  });

  it('eval and export read a version 2 (skips) model with the warning too', () => {
    const v2 = path.join(fixtures, 'skips-v2.sgm');
    const e = runCli(['eval', '--model', v2, '--data', 'xor:40', '--json']);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toBe(`${warning(v2)}\n`);
    const x = runCli(['export', '--model', v2, '--format', 'safetensors', '--out', path.join(dir, 'v2.safetensors')]);
    expect([x.status, x.stderr]).toEqual([0, `${warning(v2)}\n`]);
  });

  it('a version 1 checkpoint resumes, warning once, to the parameters of an uninterrupted run bit for bit', () => {
    // the fixture: these flags with --epochs 2 and the default of its day, 16 shards; resumed to 3 epochs
    const flags = ['train', '--data', 'xor:40', '--hidden', '3', '--batch', '8', '--workers', '0', '--optimizer', 'adam', '--lr', '0.05', '--epochs', '3'];
    const ckpt = path.join(dir, 'checkpoint-v1.sgm');
    copyFileSync(path.join(fixtures, 'checkpoint-v1.sgm'), ckpt);
    // the settings it pinned are still checked: today's default of 1 shard at batch 8 is not its 16
    const other = runCli([...flags, '--resume', ckpt, '--out', path.join(dir, 'other.sgm')]);
    expectOneLineError(other, `${ckpt}: written with --shards 16, this run has 1: a resumed run needs every setting of the run it continues`);
    flags.push('--shards', '16');
    const resumed = path.join(dir, 'resumed.sgm');
    const r = runCli([...flags, '--resume', ckpt, '--out', resumed]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      warning(ckpt),
      `shardgrad: resuming from ${ckpt} at epoch 3, step 8 (8 steps done)`,
      "shardgrad: --epochs 3 differs from the checkpoint's 2: training until epoch 3",
    ]);
    const whole = path.join(dir, 'whole.sgm');
    expect(runCli([...flags, '--out', whole]).status).toBe(0);
    expect(params(resumed).equals(params(whole))).toBe(true);
    // 12 steps: 4 per epoch (32 training rows, batch 8)
    expect(readModelFile(resumed).meta.steps).toBe(12);
  });
});

describe('version 3 files: a changed header byte is refused', () => {
  it('predict, eval and train --resume refuse a model or checkpoint whose input scaling or step was edited', () => {
    const model = path.join(dir, 'm.sgm');
    const ck = path.join(dir, 'ck');
    expect(runCli(['train', '--data', 'xor:40', '--hidden', '3', '--batch', '8', '--workers', '0', '--epochs', '2', '--checkpoint', ck, '--out', model]).status).toBe(0);
    const bytes = readFileSync(model);
    const at = bytes.indexOf('"mean":[') + '"mean":['.length;
    // one flipped bit in the first digit of the input mean: still valid JSON, another scaling
    const edited = Buffer.from(bytes);
    edited[at + 1] ^= 0x01;
    const bad = path.join(dir, 'edited.sgm');
    writeFileSync(bad, edited);
    expectOneLineError(runCli(['predict', '--model', bad, '--input', '-'], { input: '1,1\n' }), `${bad}: checksum mismatch: the file is corrupt (its header or its weights)`);
    expectOneLineError(runCli(['eval', '--model', bad, '--data', 'xor:40']), `${bad}: checksum mismatch: the file is corrupt (its header or its weights)`);
    const ckBytes = readFileSync(path.join(ck, 'checkpoint.sgm'));
    const step = ckBytes.indexOf('"step":8');
    expect(step).toBeGreaterThan(0);
    const badCk = path.join(dir, 'edited-ck.sgm');
    const e2 = Buffer.from(ckBytes);
    e2[step + '"step":'.length] ^= 0x01; // 8 → 9
    writeFileSync(badCk, e2);
    expectOneLineError(
      runCli(['train', '--data', 'xor:40', '--hidden', '3', '--batch', '8', '--workers', '0', '--epochs', '3', '--resume', badCk, '--out', path.join(dir, 'x.sgm')]),
      `${badCk}: checksum mismatch: the file is corrupt (its header or its weights)`,
    );
  });
});
