import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, runCliAndSignal, tempDir } from './cli-helpers.js';

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
  it('trains the default MNIST model (5 epochs, into model.sgm); SIGTERM stops it with exit 143 and writes no model', async () => {
    const cwd = tempDir('default');
    const r = await runCliAndSignal(['train'], 'SIGTERM', (out) => /^epoch 1\/5 /m.test(out), cwd);
    expect(r.signalled).toBe(true);
    expect(r.status, r.stderr).toBe(143);
    // 8000 training digits / batch 64 = 125 steps per epoch: the stop comes after epoch 1
    const m = /interrupted by SIGTERM at step (\d+): no checkpoint \(pass --checkpoint DIR to keep progress\); model\.sgm not written/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(125);
    expect(r.stdout).toMatch(/^epoch 1\/5 {2}train loss \d\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy \d+\.\d\d%/m);
    expect(existsSync(path.join(cwd, 'model.sgm'))).toBe(false);
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
