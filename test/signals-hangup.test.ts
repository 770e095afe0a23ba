import path from 'node:path';
import { readModelFile } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { runCliAndSignal, tempDir } from './cli-helpers.js';

/**
 * SIGHUP (a closed terminal, a dropped ssh connection) stops a run as SIGTERM does: the step
 * finishes, the checkpoint (or without --checkpoint the model so far) is written, exit 129.
 */
const dir = tempDir('hangup');
// 2,000 xor rows, 1,600 training rows, batch 4: 400 steps an epoch, 200 epochs: far from done after epoch 1
const flags = ['train', '--data', 'xor:2000', '--hidden', '2', '--batch', '4', '--epochs', '200', '--workers', '1'];

describe('SIGHUP saves like SIGTERM', () => {
  it('with --checkpoint: the checkpoint of the step it stopped at, and exit 129', async () => {
    const ck = path.join(dir, 'ck');
    const out = path.join(dir, 'm.sgm');
    const r = await runCliAndSignal([...flags, '--checkpoint', ck, '--out', out], 'SIGHUP', (s) => /^epoch 1\/200 /m.test(s));
    expect(r.signalled).toBe(true);
    expect(r.status, r.stderr).toBe(129);
    const lines = r.stderr.trim().split('\n');
    const file = path.join(ck, 'checkpoint.sgm');
    expect(lines[0]).toBe(`shardgrad: SIGHUP: finishing the current step, then writing a checkpoint to ${file} (send it again to quit at once)`);
    const m = new RegExp(`^shardgrad: interrupted by SIGHUP at step (\\d+): checkpoint ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(continue with --resume\\); ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} not written$`).exec(lines[1]);
    expect(m, r.stderr).not.toBeNull();
    expect(lines).toHaveLength(2);
    const ckpt = readModelFile(file);
    expect([ckpt.kind, ckpt.meta.step]).toEqual(['checkpoint', Number(m![1])]);
    expect(Number(m![1])).toBeGreaterThanOrEqual(400);
  });

  it('without --checkpoint: the model so far, with stoppedBy SIGHUP', async () => {
    const out = path.join(dir, 'so-far.sgm');
    const r = await runCliAndSignal([...flags, '--out', out], 'SIGHUP', (s) => /^epoch 1\/200 /m.test(s));
    expect(r.status, r.stderr).toBe(129);
    expect(r.stderr).toMatch(/interrupted by SIGHUP at step \d+: the model so far written to .*so-far\.sgm \(no --checkpoint, so it cannot be resumed\)\n$/);
    expect(readModelFile(out).meta.stoppedBy).toBe('SIGHUP');
  });
});
