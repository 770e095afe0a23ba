import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decidesBytes, firstSettingDifference, readModelFile, runSettingsRecord, type TrainConfig } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDir } from './cli-helpers.js';
import { smallConfig } from './fixtures/train-fixtures.js';

/**
 * A checkpoint records every setting that decides the run's bytes, derived from the run's settings
 * object; --resume with any of them changed is one line naming the flag (exit 2) and leaves the
 * checkpoint as it was; settings of execution only (workers, kernels) may change.
 */
const dir = tempDir('resume-settings');
const ck = path.join(dir, 'ck');
const file = path.join(ck, 'checkpoint.sgm');
// xor:200 → 160 training rows (40 held out), batch 16: 10 steps an epoch
const baseFlags: Record<string, string> = { '--data': 'xor:200', '--hidden': '3', '--batch': '16', '--workers': '1', '--checkpoint': ck };
const train = (flags: Record<string, string>) => ['train', ...Object.entries({ ...baseFlags, ...flags }).flat()];

describe('train --resume refuses any setting that decides the bytes', () => {
  it('writes the checkpoint to resume (2 of 4 epochs)', () => {
    expect(runCli(train({ '--epochs': '2', '--out': path.join(dir, 'first.sgm') })).status).toBe(0);
  });

  it.each([
    [{ '--test-split': '0.5' }, /written with data \(--data, --limit, --test-split, the CSV flags\) \(trainRows\.length\) 160, this run has 100/],
    [{ '--limit': '80' }, /written with data \(--data, --limit, --test-split, the CSV flags\) \(trainRows\.length\) 160, this run has 80/],
    [{ '--data': 'xor:201' }, /written with data \(--data, --limit, --test-split, the CSV flags\) \(rows\) 200, this run has 201/],
    [{ '--lr-schedule': 'cosine' }, /written with --lr-schedule \(kind\) constant, this run has cosine/],
    [{ '--lr': '0.2' }, /written with --lr 0\.1, this run has 0\.2/],
    [{ '--seed': '2' }, /written with --seed 1, this run has 2/],
    [{ '--val-split': '0.25' }, /written with --val-split 0, this run has 0\.25/],
    [{ '--early-stop': '3' }, /written with --early-stop none, this run has 3/],
    [{ '--init': 'he' }, /written with --init glorot, this run has he/],
    [{ '--preprocess': 'none' }, /written with --preprocess standardize, this run has none/],
    [{ '--shards': '8' }, /written with --shards 1, this run has 8/],
    [{ '--hidden': '4' }, /written with network \(--layers\/--hidden\/--activation\/--output\/--loss\/--skip\/--connect\) \(sizes\) \[2,3,2\], this run has \[2,4,2\]/],
  ])('%j: one line naming it, the checkpoint unchanged', (flags, message) => {
    const before = readFileSync(file);
    const r = runCli([...train({ '--epochs': '4', '--out': path.join(dir, 'x.sgm'), ...flags }), '--resume']);
    expectOneLineError(r, message);
    expect(r.stderr).toContain(`shardgrad: ${file}: written with `);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('another --workers or --kernel resumes, to the parameters of an uninterrupted run', () => {
    const resumed = path.join(dir, 'resumed.sgm');
    const r = runCli([...train({ '--workers': '2', '--kernel': 'wasm', '--epochs': '4', '--out': resumed }), '--resume']);
    expect(r.status, r.stderr).toBe(0);
    const whole = path.join(dir, 'whole.sgm');
    expect(runCli(['train', '--data', 'xor:200', '--hidden', '3', '--batch', '16', '--workers', '0', '--epochs', '4', '--out', whole]).status).toBe(0);
    const p = (f: string) => Buffer.from(readModelFile(f).tensors.get('params')!.buffer);
    expect(p(resumed).equals(p(whole))).toBe(true);
  });
});

describe('the settings record is derived from the settings object', () => {
  const c = smallConfig({ epochs: 2 });
  it('holds every field but the execution-only ones (workers, kernel, MPI ranks, checkpoint places, faults, epochs)', () => {
    const record = runSettingsRecord({ ...c, checkpointDir: 'x', checkpointEvery: 3, resumeFrom: 'y' });
    const expected = Object.keys(c).filter((k) => !['workers', 'kernel', 'epochs'].includes(k));
    expect(Object.keys(record).sort()).toEqual(expected.sort());
    expect(['workers', 'kernel', 'distributed', 'checkpointDir', 'checkpointEvery', 'resumeFrom', 'fault', 'epochs'].filter(decidesBytes)).toEqual([]);
  });

  it('a field added to the settings is recorded without being listed anywhere, and a predicate (a schema) can leave it out', () => {
    const withNew = { ...c, someNewSetting: 0.5 } as TrainConfig;
    expect(runSettingsRecord(withNew).someNewSetting).toBe(0.5);
    expect(runSettingsRecord(withNew, (f) => f !== 'someNewSetting' && decidesBytes(f)).someNewSetting).toBeUndefined();
    expect(firstSettingDifference(runSettingsRecord(c), runSettingsRecord(withNew))).toEqual({ field: 'someNewSetting', inside: '', was: null, now: 0.5 });
  });

  it('the data is recorded by its rows and values (a CRC-32 each), not its name', () => {
    const record = runSettingsRecord(c) as { data: Record<string, unknown> };
    expect(record.data.name).toBeUndefined();
    expect(record.data.rows).toBe(c.data.rows);
    expect(record.data.X).toEqual({ length: c.data.X.length, crc32: expect.any(Number) });
    const renamed = runSettingsRecord({ ...c, data: { ...c.data, name: 'elsewhere.csv' } });
    expect(firstSettingDifference(runSettingsRecord(c), renamed)).toBeUndefined();
    const X = Float32Array.from(c.data.X);
    X[7] += 1;
    expect(firstSettingDifference(runSettingsRecord(c), runSettingsRecord({ ...c, data: { ...c.data, X } }))).toMatchObject({ field: 'data', inside: 'X.crc32' });
  });
});
