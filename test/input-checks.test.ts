import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkRunFits, Trainer } from '@shardgrad/coordinator';
import { mlpSpec, specLayout } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, runCliAsync, tempDir } from './cli-helpers.js';
import { smallConfig } from './fixtures/train-fixtures.js';

/**
 * Checks made before any work: input paths must be regular files (or - for stdin), a CSV header
 * may not name two columns alike, a network or run memory too large for wasm memory or this
 * machine is refused before memory is created, and so are shard counts the kernels' plans cannot
 * take. Odd class names train, with a warning line.
 */
const dir = tempDir('input-checks');
const sh = (command: string) => spawnSync('bash', ['-c', command], { encoding: 'utf8' });

describe('input paths must be regular files', () => {
  it('--data csv:/dev/zero is one line at once (it used to grow without end)', async () => {
    const r = await runCliAsync(['train', '--data', 'csv:/dev/zero', '--json', '--out', path.join(dir, 'zero.sgm')]);
    expectOneLineError(r, '/dev/zero: is a character device, not a regular file');
    expect(r.stdout).toBe('');
  });

  it('predict --input FIFO or folder, and --model folder, are one line each; --input - still reads stdin', async () => {
    const model = path.join(dir, 'xor.sgm');
    expect(runCli(['train', '--data', 'xor:40', '--hidden', '2', '--batch', '8', '--epochs', '1', '--workers', '0', '--out', model]).status).toBe(0);
    const fifo = path.join(dir, 'rows.fifo');
    expect(sh(`mkfifo ${fifo}`).status).toBe(0);
    expectOneLineError(await runCliAsync(['predict', '--model', model, '--input', fifo]), `${fifo}: is a FIFO (named pipe), not a regular file`);
    expectOneLineError(await runCliAsync(['predict', '--model', model, '--input', dir]), `${dir}: is a directory, not a file`);
    expectOneLineError(await runCliAsync(['predict', '--model', dir, '--input', '-']), `${dir}: is a directory, not a file`);
    const r = await runCliAsync(['predict', '--model', model, '--input', '-'], { input: '1,1\n-1,1\n' });
    expect([r.status, r.stdout.split('\n').filter(Boolean).length]).toEqual([0, 2]);
  });
});

describe('a header naming two columns alike', () => {
  const csv = path.join(dir, 'dup.csv');
  writeFileSync(csv, 'a,b,a,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n');

  it('train refuses it in one line naming the name and both columns', () => {
    const out = path.join(dir, 'dup.sgm');
    expectOneLineError(runCli(['train', '--data', `csv:${csv}`, '--batch', '2', '--out', out]), `${csv}: the header names two columns "a" (columns 1 and 3); give every column its own name`);
    expect(existsSync(out)).toBe(false);
  });

  it('predict refuses it too (it picks input columns by name)', () => {
    const good = path.join(dir, 'abc.csv');
    writeFileSync(good, 'a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n');
    const model = path.join(dir, 'abc.sgm');
    expect(runCli(['train', '--data', `csv:${good}`, '--hidden', '2', '--batch', '2', '--epochs', '1', '--workers', '0', '--test-split', '0', '--out', model]).status).toBe(0);
    const input = path.join(dir, 'dup-input.csv');
    writeFileSync(input, 'a,b,b\n1,2,3\n');
    expectOneLineError(runCli(['predict', '--model', model, '--input', input]), `${input}: the header names two columns "b" (columns 2 and 3)`);
  });
});

describe('sizes refused before any memory is created', () => {
  it('--hidden 100000,100000: one line naming the network and its size, exit 2, before the first step', async () => {
    const r = await runCliAsync(['train', '--data', 'xor:40', '--hidden', '100000,100000', '--json', '--out', path.join(dir, 'huge.sgm')]);
    // 2·10⁵ + 10⁵ + 10¹⁰ + 10⁵ + 10⁵·2 + 2 = 10,000,600,002 parameters, 4 bytes each = 37.3 GiB
    expectOneLineError(r, 'network 2-100000-100000-2: has 10,000,600,002 parameters, 37 GiB as float32, more than the 4 GiB a WebAssembly (wasm32) memory holds');
    expect(r.stdout).toBe('');
  });

  it('a run memory over 4 GiB (θ fits, the partial sums of its workers do not) is refused too', () => {
    // 784-16000-16000-10: P = 784·16000 + 16000 + 16000² + 16000 + 16000·10 + 10 = 268,736,010 floats, 1.0 GiB
    // each for θ, the gradient, the backup and every partial-sum slot: together far more than 4 GiB
    const c = smallConfig({ spec: mlpSpec([784, 16000, 16000, 10], 'relu', 'softmax', 'ce'), workers: 2 });
    expect(specLayout(c.spec).total).toBe(268_736_010);
    expect(() => new Trainer(c)).toThrow(/^network 784-16000-16000-10: needs \d+ GiB of run memory \(θ, gradient, momentum state and 2 workers' partial sums and scratch for batch 50\), more than the 4 GiB a WebAssembly \(wasm32\) memory holds/);
  });

  it('a run memory over what this machine has is refused (a machine of 64 MiB here)', () => {
    const c = smallConfig({ spec: mlpSpec([784, 2048, 10], 'relu', 'softmax', 'ce'), workers: 1 });
    expect(() => checkRunFits(c, 64 * 1024 ** 2)).toThrow(/^network 784-2048-10: needs 0\.\d\d GiB of run memory .* besides 0\.\d\d GiB of data, more than this machine's 0\.06 GiB/);
    expect(() => checkRunFits(c, 64 * 1024 ** 3)).not.toThrow();
  });
});

describe('--shards the kernels\' plans cannot take', () => {
  // the native kernels take at most 1024 leaf groups (two sibling shards each) per worker: 2048 shards a worker
  it.each([
    [4096, 2, true],
    [4097, 2, false],
    [2048, 1, true],
    [2049, 1, false],
    [8192, 4, true],
  ])('%i shards over %i workers: fits = %s', (shards, workers, fits) => {
    const c = smallConfig({ shards, workers, batch: 50 });
    if (fits) expect(() => checkRunFits(c)).not.toThrow();
    else expect(() => checkRunFits(c)).toThrow(`--shards: ${shards} shards give a worker up to ${Math.ceil(shards / workers)} shards, more than the kernels' plan of 1024 leaf groups (2048 shards) takes: use at most ${2048 * workers} shards for ${workers} worker`);
  });

  it('the CLI refuses 4097 shards over 2 workers before training, and trains 4096 (the largest that fits)', async () => {
    const flags = ['train', '--data', 'xor:40', '--hidden', '2', '--batch', '8', '--epochs', '1', '--workers', '2', '--json'];
    const r = await runCliAsync([...flags, '--shards', '4097', '--out', path.join(dir, 's.sgm')]);
    expectOneLineError(r, '--shards: 4097 shards give a worker up to 2049 shards');
    expect(r.stdout).toBe('');
    const ok = await runCliAsync([...flags, '--shards', '4096', '--out', path.join(dir, 's.sgm')]);
    expect(ok.status, ok.stderr).toBe(0);
  });
});

describe('class names with control characters or bytes that are not UTF-8', () => {
  it('train warns in one line and trains', () => {
    const csv = path.join(dir, 'odd-labels.csv');
    mkdirSync(path.dirname(csv), { recursive: true });
    writeFileSync(csv, Buffer.concat([Buffer.from('a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n1,1,cat\x00\n2,2,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n3,1,cat\n4,4,dog\n')]));
    const r = runCli(['train', '--data', `csv:${csv}`, '--hidden', '2', '--batch', '2', '--epochs', '1', '--workers', '0', '--out', path.join(dir, 'odd.sgm')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'shardgrad: warning: odd-labels.csv: 2 class names in the label column hold control characters or bytes that are not UTF-8 (\\ufffd): "cat\\u0000" (class 1), "\\ufffd\\ufffd" (class 3); each is a class of its own\n',
    );
  });
});
