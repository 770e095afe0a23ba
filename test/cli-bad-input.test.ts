import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, runCliAsync, tempDir } from './cli-helpers.js';

/**
 * Every malformed input through the CLI: exit code 2, exactly one line on stderr naming the file or
 * flag and the problem, no stack trace, and no output file (nor a temporary one) left behind.
 */
const dir = tempDir('bad');
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};
/**
 * `train` with the given flags, writing into a folder of its own (the tests run concurrently, and
 * each run's write probe would show in a shared folder); returns the result after checking that
 * nothing was written there.
 */
async function train(...args: string[]) {
  const outDir = mkdtempSync(path.join(dir, 'out-'));
  const out = path.join(outDir, 'model.sgm');
  const r = await runCliAsync(['train', '--out', out, ...args]);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(outDir)).toEqual([]);
  return r;
}

/** An IDX header: magic 0x000008 0x03|0x01, then the dimensions, big-endian. */
function idx(type: 1 | 3, dims: number[], data: number[]): Uint8Array {
  const b = Buffer.alloc(4 + 4 * dims.length + data.length);
  b.writeUInt32BE(0x0800 + type, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  Buffer.from(data).copy(b, 4 + 4 * dims.length);
  return b;
}
const images = file('images.idx', idx(3, [2, 2, 2], [0, 255, 0, 255, 255, 0, 255, 0]));
const labels = file('labels.idx', idx(1, [2], [0, 1]));

describe.concurrent('bad data files', () => {
  it('ragged CSV rows', async () => {
    const f = file('ragged.csv', 'a,b,label\n1,2,0\n3,4\n');
    expectOneLineError(await train('--data', `csv:${f}`), `${f}: line 3 has 2 fields, expected 3`);
  });
  it('a non-numeric CSV cell', async () => {
    const f = file('text.csv', 'a,b,label\n1,x,0\n3,4,1\n');
    expectOneLineError(await train('--data', `csv:${f}`), `${f}: line 2, column 2 "b": "x" is not a number`);
  });
  it('a NaN CSV cell', async () => {
    const f = file('nan.csv', 'a,b,label\n1,NaN,0\n3,4,1\n');
    expectOneLineError(await train('--data', `csv:${f}`), `${f}: line 2, column 2 "b"`);
  });
  it('a label out of range', async () => {
    const f = file('label.csv', 'a,b,label\n1,2,0\n3,4,-1\n');
    expectOneLineError(await train('--data', `csv:${f}`), `${f}: line 3, column 3 "label": label -1 is out of range`);
  });
  it('an IDX file with the wrong magic number (labels given as images)', async () => {
    expectOneLineError(await train('--data', `idx:${labels},${labels}`), `${labels}: wrong magic number 0x00000801 (expected 0x00000803`);
  });
  it('a truncated IDX file', async () => {
    // the header promises 3 images of 2×2 = 12 bytes; 8 are there
    const f = file('short.idx', idx(3, [3, 2, 2], [0, 255, 0, 255, 255, 0, 255, 0]));
    expectOneLineError(await train('--data', `idx:${f},${labels}`), `${f}: truncated: the header promises 3×2×2 = 12 data bytes, the file holds 8`);
  });
  it('a missing data file', async () => {
    const f = path.join(dir, 'nope.csv');
    expectOneLineError(await train('--data', `csv:${f}`), `${f}: no such file`);
  });
  it('an unreadable data file (a folder)', async () => {
    expectOneLineError(await train('--data', `csv:${dir}`), `${dir}: is a directory`);
  });
  it('an unknown --data source', async () => {
    expectOneLineError(await train('--data', 'parquet:x'), '--data: unknown data source "parquet:x"');
  });
});

describe.concurrent('bad flags', () => {
  it('--layers that do not fit the data', async () => {
    expectOneLineError(await train('--data', 'xor:40', '--layers', '3,4,2'), '--layers: the first size must be the 2 inputs of xor, got 3');
    expectOneLineError(await train('--data', 'xor:40', '--layers', '2,4,3'), '--layers: the last size must be the 2 outputs of xor, got 3');
  });
  it('--hidden with a size that is not a positive integer', async () => {
    expectOneLineError(await train('--data', 'xor:40', '--hidden', '8,0'), '--hidden: must be comma-separated positive integers, got "8,0"');
  });
  it.each([
    ['--lr', '0', '--lr: must be a positive number, got 0'],
    ['--lr', '-0.1', '--lr: must be a positive number, got -0.1'],
    ['--lr', 'fast', '--lr: must be a number, got "fast"'],
    ['--batch', '0', '--batch: must be a positive integer, got 0'],
    ['--batch', '2.5', '--batch: must be a positive integer, got 2.5'],
    ['--batch', 'x', '--batch: must be a number, got "x"'],
    ['--epochs', '-1', '--epochs: must be a positive integer, got -1'],
    ['--epochs', 'ten', '--epochs: must be a number, got "ten"'],
    ['--workers', '1.5', '--workers: must be a non-negative integer (0 = no worker threads), got 1.5'],
    ['--lr', '0x10', '--lr: must be a number, got "0x10"'],
    ['--workers', 'many', '--workers: must be a number, got "many"'],
    ['--val-split', '1', '--val-split: must be a fraction in [0, 1), got 1'],
    ['--lr-schedule', 'cosine:x', '--lr-schedule: must be constant, step:EVERY:GAMMA or cosine[:MIN_LR], got "cosine:x"'],
    ['--checkpoint-every', '5', '--checkpoint-every: needs --checkpoint DIR'],
    ['--weight-decay', '-0.1', '--weight-decay: must be a non-negative number, got -0.1'],
    ['--weight-decay', 'lots', '--weight-decay: must be a number, got "lots"'],
  ])('%s %s', async (flag, value, message) => {
    expectOneLineError(await train('--data', 'xor:40', flag, value), message);
  });
  it('a batch larger than the training set', async () => {
    // xor:40 → 40 rows, 8 held out, 32 training rows
    expectOneLineError(await train('--data', 'xor:40', '--batch', '64'), '--batch: 64 is larger than the 32 training rows');
  });
  it('an unknown flag, a bad choice, conflicting flags', async () => {
    expectOneLineError(await runCliAsync(['train', '--learning-rate', '0.1']), 'Unknown argument: learning-rate');
    expectOneLineError(await runCliAsync(['train', '--optimizer', 'rmsprop']), /Invalid values: Argument: optimizer, Given: "rmsprop"/);
    expectOneLineError(await runCliAsync(['train', '--hidden', '8', '--layers', '2,8,2']), 'Arguments hidden and layers are mutually exclusive');
    expectOneLineError(await runCliAsync(['frobnicate']), 'Unknown argument: frobnicate');
  });
  it('an --out folder that does not exist', async () => {
    const r = await runCliAsync(['train', '--data', 'xor:40', '--out', path.join(dir, 'no-such-folder', 'm.sgm')]);
    expectOneLineError(r, `--out: cannot write ${path.join(dir, 'no-such-folder', 'm.sgm')}: folder ${path.join(dir, 'no-such-folder')} does not exist`);
  });
});

describe('bad model and checkpoint files', () => {
  // a valid model to damage: train one quickly
  const good = path.join(dir, 'good.sgm');
  const makeGood = () => {
    if (!existsSync(good)) expect(runCli(['train', '--data', 'xor:40', '--hidden', '4', '--epochs', '1', '--batch', '8', '--workers', '1', '--out', good]).status).toBe(0);
    return readFileSync(good);
  };
  it('a truncated model', async () => {
    const f = file('truncated.sgm', makeGood().subarray(0, 100));
    expectOneLineError(await runCliAsync(['eval', '--model', f, '--data', 'xor:40']), `${f}: truncated`);
  });
  it('a corrupt model (one weight byte flipped)', async () => {
    const b = Buffer.from(makeGood());
    b[b.length - 3] ^= 0xff;
    const f = file('corrupt.sgm', b);
    expectOneLineError(await runCliAsync(['predict', '--model', f, '--input', '-'], { input: '1,2\n' }), `${f}: checksum mismatch: the file is corrupt (its header or its weights)`);
  });
  it('not a model file at all', async () => {
    const f = file('notes.txt', 'hello, I am not a model\n');
    expectOneLineError(await runCliAsync(['eval', '--model', f, '--data', 'xor:40']), `${f}: not a shardgrad model file (wrong magic bytes)`);
  });
  it('a missing model file', async () => {
    const f = path.join(dir, 'missing.sgm');
    expectOneLineError(await runCliAsync(['predict', '--model', f, '--input', '-'], { input: '1,2\n' }), `${f}: no such file`);
  });
  it('a truncated checkpoint given to --resume', async () => {
    const f = file('checkpoint.sgm', makeGood().subarray(0, 40));
    expectOneLineError(await train('--data', 'xor:40', '--hidden', '4', '--batch', '8', '--resume', f), `${f}: truncated`);
  });
  it('predict input rows that do not fit the model', async () => {
    makeGood();
    expectOneLineError(await runCliAsync(['predict', '--model', good, '--input', '-'], { input: '1,2,3\n' }), 'stdin: line 1 has 3 values, the model takes 2');
    expectOneLineError(await runCliAsync(['predict', '--model', good, '--input', '-'], { input: '1,2\n1,oops\n' }), 'stdin: line 2, column 2: "oops" is not a number');
  });
});
