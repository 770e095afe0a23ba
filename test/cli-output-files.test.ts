import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readModelFile } from '@shardgrad/coordinator';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, expectOneLineError, runCliAsync, sh, tempDir, tmpfsMounts } from './cli-helpers.js';

/**
 * Output files as users hit them: devices, FIFOs and symbolic links at the --out path, read-only
 * and full file systems, and stdout closed early by `| head`.
 */
const dir = tempDir('outputs');
const quick = ['train', '--data', 'xor:40', '--hidden', '2', '--epochs', '2', '--batch', '8', '--workers', '1'];

const { canMount, mounted, unmountAll } = tmpfsMounts(dir);
afterAll(unmountAll);

describe('--out never replaces a device, a FIFO or a symbolic link', () => {
  it.runIf(process.getuid?.() === 0)('a character device made with mknod (the /dev/full of the report) stays a device', async () => {
    const dev = path.join(dir, 'full');
    expect(sh(`mknod ${dev} c 1 7`).status).toBe(0);
    const r = await runCliAsync([...quick, '--out', dev]);
    expectOneLineError(r, `--out: cannot write ${dev}: it is a character device`);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('a FIFO stays a FIFO, and --plot is checked the same way, before training', async () => {
    const fifo = path.join(dir, 'fifo');
    expect(sh(`mkfifo ${fifo}`).status).toBe(0);
    const model = path.join(dir, 'fifo-model.sgm');
    const r = await runCliAsync([...quick, '--json', '--out', model, '--plot', fifo]);
    expectOneLineError(r, `--plot: cannot write ${fifo}: it is a FIFO (named pipe)`);
    expect(r.stdout).toBe(''); // refused before the first step
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(existsSync(model)).toBe(false);
  });

  it('a FIFO where the checkpoint file goes is refused before training too', async () => {
    const ckpt = path.join(dir, 'fifo-ckpt');
    mkdirSync(ckpt);
    const fifo = path.join(ckpt, 'checkpoint.sgm');
    expect(sh(`mkfifo ${fifo}`).status).toBe(0);
    const r = await runCliAsync([...quick, '--json', '--out', path.join(dir, 'ck-model.sgm'), '--checkpoint', ckpt]);
    expectOneLineError(r, `--checkpoint: cannot write ${fifo}: it is a FIFO (named pipe)`);
    expect(r.stdout).toBe('');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symbolic link is written through: the link stays, its target gets the model', async () => {
    const sub = path.join(dir, 'linked');
    mkdirSync(sub);
    const target = path.join(sub, 'real.sgm');
    writeFileSync(target, 'old bytes');
    const link = path.join(sub, 'link.sgm');
    symlinkSync('real.sgm', link);
    const r = await runCliAsync([...quick, '--out', link]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.sgm');
    // 2-2-2: W⁰ 2·2 + b⁰ 2 + W¹ 2·2 + b¹ 2 = 12 parameters
    expect(readModelFile(target).tensors.get('params')!.length).toBe(12);
    expect(readdirSync(sub).sort()).toEqual(['link.sgm', 'real.sgm']); // no temporary file left
  });
});

describe('output paths are checked before training, and the messages are words', () => {
  it.runIf(canMount)('a read-only file system: one line saying so, before any step', async () => {
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    expect(sh(`mount --bind -o ro ${ro} ${ro}`).status).toBe(0);
    mounted.push(ro);
    for (const [flag, value] of [
      ['--out', path.join(ro, 'm.sgm')],
      ['--plot', path.join(ro, 'c.svg')],
      ['--checkpoint', path.join(ro, 'ckpt')],
    ]) {
      const r = await runCliAsync([...quick, '--json', '--out', flag === '--out' ? value : path.join(dir, 'unused.sgm'), ...(flag === '--out' ? [] : [flag, value])]);
      expectOneLineError(r, `${flag}: cannot write ${value}: read-only file system`);
      expect(r.stderr).not.toMatch(/EROFS/);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(path.join(dir, 'unused.sgm'))).toBe(false);
  });

  it.runIf(canMount)('a plot that cannot be written after training keeps the model, and says so', async () => {
    // a 4 KiB tmpfs: the empty probe files pass, the model takes the one page, the plot finds no room
    const small = path.join(dir, 'small');
    mkdirSync(small);
    expect(sh(`mount -t tmpfs -o size=4k tmpfs ${small}`).status).toBe(0);
    mounted.push(small);
    const model = path.join(small, 'm.sgm');
    const plot = path.join(small, 'c.svg');
    const r = await runCliAsync([...quick, '--out', model, '--plot', plot]);
    // the device failed (exit 1), not the path given (exit 2)
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(`shardgrad: --plot: ${plot}: cannot write: no space left on the device; the model was written to ${model}\n`);
    expect(readModelFile(model).spec.sizes).toEqual([2, 2, 2]);
    expect(readdirSync(small)).toEqual(['m.sgm']);
  });
});

describe('stdout closed early (| head)', () => {
  /** Runs the CLI in a bash pipeline into `head -N`; returns what head printed and the CLI's stderr and status. */
  const piped = (args: string[], lines: number) => {
    const r = sh(`node ${CLI} ${args.map((a) => `'${a}'`).join(' ')} 2>${path.join(dir, 'stderr.txt')} | head -${lines}; echo "status \${PIPESTATUS[0]}" >&2`);
    return { stdout: r.stdout, stderr: readFileSync(path.join(dir, 'stderr.txt'), 'utf8'), status: Number(/status (\d+)/.exec(r.stderr)![1]) };
  };

  it('train --json | head -2: no stack trace, the run finishes and writes the model', () => {
    // 2,000 xor rows, 1,600 training rows, batch 4: 400 steps per epoch, ~50 KB of step lines an
    // epoch, more than a pipe holds, so the CLI is still writing when head has gone
    const model = path.join(dir, 'piped.sgm');
    const r = piped(['train', '--data', 'xor:2000', '--hidden', '2', '--batch', '4', '--epochs', '3', '--workers', '1', '--json', '--out', model], 2);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).step)).toEqual([1, 2]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readModelFile(model).meta.steps).toBe(3 * 400);
  });

  it('predict | head -1: the first prediction, then a quiet exit 0', async () => {
    const model = path.join(dir, 'predict.sgm');
    expect((await runCliAsync([...quick, '--out', model])).status).toBe(0);
    // 100,000 rows → at least 200 KB of output, more than a pipe holds
    const input = path.join(dir, 'rows.csv');
    writeFileSync(input, 'x,y\n' + Array.from({ length: 100_000 }, (_, i) => `${(i % 7) - 3},${(i % 5) - 2}`).join('\n'));
    const r = piped(['predict', '--model', model, '--input', input], 1);
    expect(r.stdout).toMatch(/^[01]\n$/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
