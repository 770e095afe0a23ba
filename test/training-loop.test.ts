import { Trainer, type EpochEvent, type TrainEvent } from '@shardgrad/coordinator';
import { optimizerConfig } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { mnistSlice, smallConfig } from './fixtures/train-fixtures.js';

describe('epochs, validation and early stopping', () => {
  it('valSplit 0.25 carves 150 of the 600 training rows out for validation: 9 steps of ≤ 50 per epoch', async () => {
    const t = new Trainer(smallConfig({ valSplit: 0.25, epochs: 2 }));
    const events: TrainEvent[] = [];
    t.on((e) => events.push(e));
    const r = await t.run();
    // 450 rows / 50 = 9 steps per epoch
    expect(r.steps).toBe(18);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.map((e) => e.stepsPerEpoch)).toEqual(new Array(18).fill(9));
    expect(steps.map((e) => e.epoch)).toEqual([...new Array(9).fill(1), ...new Array(9).fill(2)]);
    for (const e of r.history) {
      // accuracy over 150 validation rows is a multiple of 1/150
      expect(Math.abs(e.valAccuracy * 150 - Math.round(e.valAccuracy * 150))).toBeLessThan(1e-9);
      expect(e.valLoss).toBeGreaterThan(0);
    }
  });

  it('valSplit 0 validates on the dataset\'s test rows (200 here)', async () => {
    const r = await new Trainer(smallConfig({ epochs: 1 })).run();
    expect(Math.abs(r.history[0].valAccuracy * 200 - Math.round(r.history[0].valAccuracy * 200))).toBeLessThan(1e-9);
    expect(r.steps).toBe(12);
  });

  it('early stopping: stops when validation loss has not improved for `earlyStop` epochs', async () => {
    // 30 training rows, 300 validation rows, a big lr: it overfits, validation loss turns up
    const base = smallConfig({ data: mnistSlice(30, 300), batch: 10, epochs: 25, lr: 0.5, optimizer: optimizerConfig('sgd') });
    const full = await new Trainer(base).run();
    // the stopping epoch, worked out from the history of the run without early stopping
    const patience = 2;
    let best = Infinity;
    let since = 0;
    let stopAt = -1;
    full.history.forEach((e: EpochEvent, i) => {
      if (stopAt >= 0) return;
      if (e.valLoss < best) [best, since] = [e.valLoss, 0];
      else if (++since >= patience) stopAt = i + 1;
    });
    expect(stopAt).toBeGreaterThan(0); // the scenario really overfits within 25 epochs
    expect(stopAt).toBeLessThan(25);
    const stopped = await new Trainer({ ...base, earlyStop: patience }).run();
    expect(stopped.stoppedBy).toBe('early-stop');
    expect(stopped.history.length).toBe(stopAt);
    expect(stopped.history.map((e) => e.valLoss)).toEqual(full.history.slice(0, stopAt).map((e) => e.valLoss));
  });
});

describe('preprocessing is fitted on the training rows only and travels with the result', () => {
  it('minmax: min/max over the 600 training rows; the caller\'s dataset is left unscaled', async () => {
    const config = smallConfig({ epochs: 1, preprocess: 'minmax' });
    const before = Float32Array.from(config.data.X.subarray(0, 784 * 700));
    const r = await new Trainer(config).run();
    expect(r.preprocess.kind).toBe('minmax');
    if (r.preprocess.kind !== 'minmax') return;
    // worked out directly from the rows
    const X = config.data.X;
    let min = Infinity;
    let max = -Infinity;
    for (let row = 0; row < 600; row++) {
      min = Math.min(min, X[row * 784 + 300]);
      max = Math.max(max, X[row * 784 + 300]);
    }
    expect([r.preprocess.min[300], r.preprocess.max[300]]).toEqual([min, max]);
    expect(r.preprocess.min.length).toBe(784);
    expect(Buffer.compare(Buffer.from(before.buffer), Buffer.from(Float32Array.from(X.subarray(0, 784 * 700)).buffer))).toBe(0);
  });
});
