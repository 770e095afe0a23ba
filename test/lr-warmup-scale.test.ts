import path from 'node:path';
import { readModelFile } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { train as trainModel } from 'shardgrad';
import { expectOneLineError, runCli, tempDir } from './cli-helpers.js';

const dir = tempDir('lr-warmup');
const paramsOf = (file: string) => Array.from(readModelFile(file).tensors.get('params')!);

// xor:200 → 160 training rows; --batch 160 → one step per epoch, so --epochs 2 is steps 0 and 1
function train(name: string, extra: string[]): string {
  const out = path.join(dir, `${name}.sgm`);
  const r = runCli(['train', '--data', 'xor:200', '--hidden', '8', '--batch', '160', '--epochs', '2', '--optimizer', 'momentum', '--workers', '1', '--out', out, ...extra]);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

describe('--lr-warmup and --lr-scale in shardgrad train', () => {
  it('warmup: --lr 0.2 over 2 warmup steps and --lr 0.1 over 1 both take the rates 0, 0.1 — the same bits', () => {
    const a = paramsOf(train('w2', ['--lr', '0.2', '--lr-warmup', '2']));
    const b = paramsOf(train('w1', ['--lr', '0.1', '--lr-warmup', '1']));
    const none = paramsOf(train('w0', ['--lr', '0.1']));
    expect(a).toEqual(b);
    expect(a).not.toEqual(none);
  });

  it('linear scaling: --lr 0.05 tuned at batch 80, run at 160, is --lr 0.1 bit for bit; sqrt differs', () => {
    const scaled = paramsOf(train('lin', ['--lr', '0.05', '--lr-scale', 'linear', '--base-batch', '80']));
    const plain = paramsOf(train('plain', ['--lr', '0.1']));
    const sqrt = paramsOf(train('sqrt', ['--lr', '0.05', '--lr-scale', 'sqrt', '--base-batch', '80']));
    expect(scaled).toEqual(plain);
    expect(sqrt).not.toEqual(plain);
  });

  it('the checkpoint records the warmup and the scaling in its schedule', () => {
    const ckpt = path.join(dir, 'ckpt');
    train('ck', ['--lr', '0.05', '--lr-warmup', '3', '--lr-scale', 'sqrt', '--base-batch', '40', '--checkpoint', ckpt]);
    const config = readModelFile(path.join(ckpt, 'checkpoint.sgm')).meta.config as Record<string, unknown>;
    expect(config.schedule).toEqual({ kind: 'constant', warmup: 3, lrScale: { rule: 'sqrt', baseBatch: 40, batch: 160 } });
  });

  it('a resume with the same flags continues the schedule; with other warmup or scaling it is refused, naming the flag', () => {
    const ckpt = path.join(dir, 'ckpt-resume');
    const flags = ['--lr', '0.05', '--lr-warmup', '3', '--lr-scale', 'sqrt', '--base-batch', '40', '--checkpoint', ckpt];
    train('r1', flags);
    const resume = (extra: string[]) =>
      runCli(['train', '--data', 'xor:200', '--hidden', '8', '--batch', '160', '--epochs', '3', '--optimizer', 'momentum', '--workers', '1', '--out', path.join(dir, 'r2.sgm'), '--resume', '--checkpoint', ckpt, ...extra]);
    const same = resume(flags.slice(0, -2));
    expect(same.status, same.stderr).toBe(0);
    train('r1', flags); // the checkpoint of 2 epochs again
    expectOneLineError(resume(['--lr', '0.05']), /written with --lr-schedule \(warmup\) 3, this run has none/);
    expectOneLineError(resume(['--lr', '0.05', '--lr-warmup', '3', '--lr-scale', 'linear', '--base-batch', '40']), /written with --lr-schedule \(lrScale\.rule\) sqrt, this run has linear/);
  });

  it('bad values: one line naming the flag, exit 2', () => {
    const base = ['train', '--data', 'xor:200', '--out', path.join(dir, 'bad.sgm')];
    expectOneLineError(runCli([...base, '--lr-warmup', '-1']), /--lr-warmup/);
    expectOneLineError(runCli([...base, '--lr-scale', 'linear']), /--lr-scale: linear needs the base batch B0 \(baseBatch, --base-batch\)/);
    expectOneLineError(runCli([...base, '--base-batch', '32']), /--base-batch: only applies with an lr scale \(lrScale, --lr-scale\) linear or sqrt/);
    expectOneLineError(runCli([...base, '--lr-scale', 'sqrt', '--base-batch', '0']), /--base-batch/);
  });
});

describe('lrWarmup, lrScale and baseBatch in the library', () => {
  // 40 rows of two classes on a line; batch 40 → one step an epoch
  const x = Array.from({ length: 40 }, (_, i) => [i / 40, (i % 7) / 7]);
  const y = x.map(([a]) => (a < 0.5 ? 0 : 1));
  const common = { x, y, hidden: [4], batch: 40, epochs: 2, optimizer: 'momentum', workers: 0 } as const;

  it('the same rates (0, then 0.1) give the same weights; linear scaling from batch 20 doubles lr', async () => {
    const a = await trainModel({ ...common, lr: 0.2, lrWarmup: 2 });
    const b = await trainModel({ ...common, lr: 0.1, lrWarmup: 1 });
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    const scaled = await trainModel({ ...common, lr: 0.05, lrScale: 'linear', baseBatch: 20 });
    const plain = await trainModel({ ...common, lr: 0.1 });
    expect(Array.from(scaled.params)).toEqual(Array.from(plain.params));
  });

  it('bad options name the option', async () => {
    await expect(trainModel({ ...common, lrWarmup: -1 })).rejects.toThrow(/^lrWarmup: /);
    await expect(trainModel({ ...common, lrScale: 'linear' })).rejects.toThrow(/^lrScale: linear needs the base batch B0/);
    await expect(trainModel({ ...common, baseBatch: 8 })).rejects.toThrow(/^baseBatch: only applies/);
    await expect(trainModel({ ...common, lrScale: 'cubic' as never, baseBatch: 8 })).rejects.toThrow(/^lrScale: /);
  });
});
