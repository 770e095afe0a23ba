import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readModelFile } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, runCliAndSignal, tempDir } from './cli-helpers.js';

const dir = tempDir('interrupt');

/** Whether the JSON lines so far include step `n`. */
const reachedStep = (n: number) => (stdout: string) => stdout.split('\n').some((l) => l.startsWith('{"type":"step"') && (JSON.parse(l) as { step: number }).step >= n);

describe('SIGINT during training, then --resume', () => {
  // --limit 1200, batch 50 → 24 steps per epoch, 2 epochs = 48 steps; momentum, so the optimizer
  // state has to survive the checkpoint too
  const flags = ['train', '--limit', '1200', '--hidden', '16', '--batch', '50', '--epochs', '2', '--optimizer', 'momentum', '--lr', '0.05', '--workers', '2', '--json'];
  const full = path.join(dir, 'full.sgm');
  const resumed = path.join(dir, 'resumed.sgm');
  const ckpt = path.join(dir, 'ckpt');

  it('exits 130 with a checkpoint and no model, and the resumed run ends with the uninterrupted bytes', async () => {
    const whole = runCli([...flags, '--out', full]);
    expect(whole.status, whole.stderr).toBe(0);

    const stopped = await runCliAndSignal([...flags, '--out', resumed, '--checkpoint', ckpt, '--checkpoint-every', '5'], 'SIGINT', reachedStep(3));
    expect(stopped.signalled).toBe(true);
    expect(stopped.status, stopped.stderr).toBe(130);
    expect(stopped.stderr.split('\n')[0]).toBe(`shardgrad: SIGINT: finishing the current step, then writing a checkpoint to ${path.join(ckpt, 'checkpoint.sgm')} (send it again to quit at once)`);
    const m = /interrupted by SIGINT at step (\d+): checkpoint (\S+) \(continue with --resume\)/.exec(stopped.stderr);
    expect(m, stopped.stderr).not.toBeNull();
    const stoppedAt = Number(m![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(48);
    expect(m![2]).toBe(path.join(ckpt, 'checkpoint.sgm'));
    expect(existsSync(m![2])).toBe(true);
    expect(existsSync(resumed)).toBe(false);
    const lines = jsonLines(stopped.stdout);
    expect(lines.filter((l) => l.type === 'checkpoint').pop()?.step).toBe(stoppedAt);

    const again = runCli([...flags, '--out', resumed, '--checkpoint', ckpt, '--resume']);
    expect(again.status, again.stderr).toBe(0);
    // 24 steps per epoch: step s is done in epoch ⌊s/24⌋ + 1
    expect(again.stderr).toBe(`shardgrad: resuming from ${path.join(ckpt, 'checkpoint.sgm')} at epoch ${Math.floor(stoppedAt / 24) + 1}, step ${stoppedAt} (${stoppedAt} steps done)\n`);
    const steps = jsonLines(again.stdout).filter((l) => l.type === 'step').map((l) => l.step);
    expect(steps[0]).toBe(stoppedAt + 1);
    expect(steps[steps.length - 1]).toBe(48);
    expect(Buffer.compare(readFileSync(full), readFileSync(resumed))).toBe(0);
  });

  it('--resume without a file or --checkpoint is a usage error', () => {
    const r = runCli(['train', '--data', 'xor:40', '--batch', '8', '--resume', '--out', path.join(dir, 'never.sgm')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('shardgrad: --resume: needs a checkpoint file, or --checkpoint DIR to resume from DIR/checkpoint.sgm');
    expect(existsSync(path.join(dir, 'never.sgm'))).toBe(false);
  });
});

describe('shardgrad train with no flags at all', () => {
  it('trains the default MNIST model (5 epochs, into model.sgm); SIGTERM without --checkpoint writes the model so far and exits 143', async () => {
    const cwd = tempDir('default');
    const r = await runCliAndSignal(['train'], 'SIGTERM', (out) => /^epoch 1\/5 /m.test(out), cwd);
    expect(r.signalled).toBe(true);
    expect(r.status, r.stderr).toBe(143);
    // one consistent story: the notice says what the end says
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('shardgrad: SIGTERM: finishing the current step, then writing the model so far to model.sgm (send it again to quit at once)');
    // 8000 training digits / batch 64 = 125 steps per epoch: the stop comes after epoch 1
    const m = /^shardgrad: interrupted by SIGTERM at step (\d+): the model so far written to model\.sgm \(no --checkpoint, so it cannot be resumed\)$/.exec(lines[1]);
    expect(m, r.stderr).not.toBeNull();
    expect(lines).toHaveLength(2);
    expect(r.stderr).not.toMatch(/checkpoint-dir/);
    const stoppedAt = Number(m![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(125);
    expect(r.stdout).toMatch(/^epoch 1\/5 {2}train loss \d\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy \d+\.\d\d%/m);
    const model = readModelFile(path.join(cwd, 'model.sgm'));
    expect([model.kind, model.meta.steps, model.meta.stoppedBy]).toEqual(['model', stoppedAt, 'SIGTERM']);
  });
});

describe('a run that diverges', () => {
  it('exits 1 with one line naming the step, and writes no model', () => {
    // η = 1e30 blows the weights up within the first steps
    const out = path.join(dir, 'diverged.sgm');
    const r = runCli(['train', '--data', 'xor:200', '--lr', '1e30', '--batch', '16', '--epochs', '2', '--workers', '1', '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^shardgrad: training diverged at step \d+: the (loss|gradient or the parameters) (is|are) not finite\n$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('--resume says where it starts and what differs', () => {
  // xor:40 → 32 training rows, batch 8: 4 steps per epoch; 2 epochs end at step 8
  const ckpt = path.join(dir, 'notes-ckpt');
  const base = ['train', '--data', 'xor:40', '--hidden', '2', '--batch', '8', '--workers', '1', '--checkpoint', ckpt, '--out', path.join(dir, 'notes.sgm')];
  const file = path.join(ckpt, 'checkpoint.sgm');

  it('names the epoch and step and a longer --epochs, and the summary covers only the resumed steps', () => {
    expect(runCli([...base, '--epochs', '2']).status).toBe(0);
    const r = runCli([...base, '--epochs', '4', '--resume']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      `shardgrad: resuming from ${file} at epoch 3, step 8 (8 steps done)`,
      "shardgrad: --epochs 4 differs from the checkpoint's 2: training until epoch 4",
    ]);
    expect(r.stdout).toMatch(/^trained 2-2-2 on xor: 4 epochs, 16 steps; resumed after step 8, 8 steps in \d+\.\d s this run, /m);
  });

  it('a changed optimizer or --lr, and an --epochs already reached, are one line each', () => {
    expectOneLineError(runCli([...base, '--epochs', '6', '--optimizer', 'adam', '--resume']), `${file}: written with --optimizer (kind) sgd, this run has adam: a resumed run needs every setting of the run it continues`);
    expectOneLineError(runCli([...base, '--epochs', '6', '--lr', '0.05', '--resume']), `${file}: written with --lr 0.1, this run has 0.05`);
    // the checkpoint now stands at epoch 4
    expectOneLineError(
      runCli([...base, '--epochs', '4', '--resume']),
      `--epochs: ${file} has already finished 4 epochs, and --epochs 4 asks for no more: the checkpoint holds the trained parameters and works as the model as it is (eval, predict, export and --from read it), or give a larger --epochs to train on`,
    );
  });
});
