import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CHECKPOINT_NAME, readModelFile, Trainer, type TrainEvent } from '@shardgrad/coordinator';
import { optimizerConfig } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { modelBytes, smallConfig, tempDir } from './fixtures/train-fixtures.js';

const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('checkpoints and resume', () => {
  // 600 rows, batch 50: 12 steps per epoch, 3 epochs = 36 steps
  const base = smallConfig({ epochs: 3, optimizer: optimizerConfig('adam'), lr: 0.01, workers: 2 });

  it('stopping mid-epoch (SIGINT asked for at step 17) and resuming gives the uninterrupted weights bit for bit', async () => {
    const full = await new Trainer({ ...base, checkpointDir: tempDir('full') }).run();
    expect(full.steps).toBe(36);

    const dir = tempDir('stop');
    const first = new Trainer({ ...base, checkpointDir: dir, checkpointEvery: 5 });
    const events: TrainEvent[] = [];
    first.on((e) => {
      events.push(e);
      if (e.type === 'step' && e.step === 17) first.requestStop('SIGINT');
    });
    const stopped = await first.run();
    expect(stopped.stoppedBy).toBe('SIGINT');
    // the workers run ahead of the step events: they stop at the end of the step during which the
    // request reached them, at 17 or later (how much later depends on timing; what follows does not)
    const s = stopped.steps;
    expect(s).toBeGreaterThanOrEqual(17);
    expect(s).toBeLessThan(36);
    const ckpt = path.join(dir, DEFAULT_CHECKPOINT_NAME);
    expect(stopped.lastCheckpoint).toBe(ckpt);
    // checkpoints at every 5th step, at the end of epoch 1 (12) and at the stop (s)
    const expected = [5, 10, 12, 15, 20, 24, 25, 30, 35].filter((k) => k < s);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.step)).toEqual([...expected, s]);
    // every step up to the stop was reported, in order, before the run ended
    expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual(Array.from({ length: s }, (_, i) => i + 1));
    const file = readModelFile(ckpt);
    expect(file.kind).toBe('checkpoint');
    // step s of 12-step epochs: epoch ⌊s/12⌋ (0-based), s mod 12 of its batches done
    expect([file.meta.step, file.meta.epoch, file.meta.position]).toEqual([s, Math.floor(s / 12), s % 12]);
    expect(file.tensors.get('optimizer')!.length).toBe(2 * full.params.length); // Adam's m and s

    // resume with another worker count: the weights still match the uninterrupted run
    const resumed = await new Trainer({ ...base, workers: 3, resumeFrom: ckpt, checkpointDir: tempDir('resumed') }).run();
    expect(resumed.steps).toBe(36);
    expect(resumed.stoppedBy).toBeUndefined();
    expect(same(resumed.params, full.params)).toBe(true);
    expect(Buffer.compare(Buffer.from(modelBytes(resumed)), Buffer.from(modelBytes(full)))).toBe(0);
    expect(resumed.history.map((e) => e.trainLoss)).toEqual(full.history.map((e) => e.trainLoss));
  });

  it('resuming from an epoch-end checkpoint (SIGTERM during the last step of epoch 2) matches too', async () => {
    const full = await new Trainer({ ...base, workers: 0 }).run();
    const dir = tempDir('epoch-end');
    const first = new Trainer({ ...base, workers: 0, checkpointDir: dir });
    first.on((e) => e.type === 'step' && e.step === 24 && first.requestStop('SIGTERM'));
    const stopped = await first.run();
    expect([stopped.stoppedBy, stopped.steps, stopped.history.length]).toEqual(['SIGTERM', 24, 2]);
    const ckpt = path.join(dir, DEFAULT_CHECKPOINT_NAME);
    expect([readModelFile(ckpt).meta.epoch, readModelFile(ckpt).meta.position]).toEqual([2, 0]);
    const resumed = await new Trainer({ ...base, workers: 1, resumeFrom: ckpt }).run();
    expect(same(resumed.params, full.params)).toBe(true);
  });

  it('a stop request without a checkpoint directory still stops after the step, writing nothing', async () => {
    const t = new Trainer({ ...base, workers: 0 });
    t.on((e) => e.type === 'step' && e.step === 3 && t.requestStop('SIGINT'));
    const r = await t.run();
    expect([r.stoppedBy, r.steps, r.lastCheckpoint]).toEqual(['SIGINT', 3, undefined]);
  });

  it('checkpoints are written atomically: no temporary file is left beside them', async () => {
    const dir = tempDir('atomic');
    await new Trainer({ ...smallConfig({ epochs: 1 }), checkpointDir: dir, checkpointEvery: 4 }).run();
    expect(existsSync(path.join(dir, DEFAULT_CHECKPOINT_NAME))).toBe(true);
    expect((await import('node:fs')).readdirSync(dir)).toEqual([DEFAULT_CHECKPOINT_NAME]);
  });
});

describe('stop requests reach the loop while it trains', () => {
  it('workers 0: a stop requested from another event-loop task (as a signal handler is) ends the run within a step or two', async () => {
    // the request is queued as a macrotask at step 5, not made inside the step event: the loop
    // must give the event loop a turn between steps for it to arrive (200 epochs × 12 steps otherwise)
    const t = new Trainer(smallConfig({ workers: 0, epochs: 200 }));
    t.on((e) => e.type === 'step' && e.step === 5 && setImmediate(() => t.requestStop('SIGTERM')));
    const r = await t.run();
    expect(r.stoppedBy).toBe('SIGTERM');
    expect(r.steps).toBeGreaterThanOrEqual(5);
    expect(r.steps).toBeLessThanOrEqual(7);
  });

  it('workers 2: the workers run whole epochs among themselves, yet a stop from another event-loop task ends the run mid-epoch', async () => {
    // one epoch is one segment of 12 steps for the workers; 200 epochs unless the request reaches them
    const t = new Trainer(smallConfig({ workers: 2, epochs: 200 }));
    t.on((e) => e.type === 'step' && e.step === 5 && setImmediate(() => t.requestStop('SIGTERM')));
    const r = await t.run();
    expect(r.stoppedBy).toBe('SIGTERM');
    expect(r.steps).toBeGreaterThanOrEqual(5);
    expect(r.steps).toBeLessThan(200 * 12);
  });

  it('workers 2: a stop asked for before the run starts ends it after its first step', async () => {
    const t = new Trainer(smallConfig({ workers: 2, epochs: 200 }));
    t.requestStop('SIGINT');
    const r = await t.run();
    expect([r.stoppedBy, r.steps]).toEqual(['SIGINT', 1]);
  });
});
