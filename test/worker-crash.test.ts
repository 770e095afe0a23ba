import { Trainer } from '@shardgrad/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { smallConfig } from './fixtures/train-fixtures.js';

const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;

describe('a worker that fails mid-step is replaced and its shards recomputed', () => {
  const config = smallConfig({ workers: 2, epochs: 1 });
  afterEach(() => {
    delete process.env.SHARDGRAD_FAULT;
  });

  it.each([
    ['exit', 'barrier'],
    ['throw', 'barrier'],
    ['exit', 'tasks'],
    ['throw', 'tasks'],
  ] as const)('kind=%s at step 3 in worker 1 (step mode %s): same weights as the fault-free run, one retry', async (kind, stepMode) => {
    const clean = await new Trainer({ ...config, stepMode }).run();
    expect(clean.workerRetries).toBe(0);
    // the runner computes the first of worker 1's shards, fills its gradient region with NaN, then fails
    process.env.SHARDGRAD_FAULT = `worker=1,step=3,kind=${kind}`;
    const faulty = await new Trainer({ ...config, stepMode }).run();
    expect(faulty.workerRetries).toBe(1);
    expect(faulty.steps).toBe(clean.steps);
    expect(same(faulty.params, clean.params)).toBe(true);
  });

  it('only pool workers read the fault switch: the in-process run ignores it, a pooled run retries once', async () => {
    process.env.SHARDGRAD_FAULT = 'worker=0,step=1,kind=throw';
    expect((await new Trainer({ ...config, workers: 0 }).run()).workerRetries).toBe(0);
    expect((await new Trainer(config).run()).workerRetries).toBe(1);
  });

  it('a malformed SHARDGRAD_FAULT is a one-line error naming the variable, exit code 2', () => {
    process.env.SHARDGRAD_FAULT = 'worker=1,step=0';
    expect(() => new Trainer(config)).toThrow(expect.objectContaining({ message: 'SHARDGRAD_FAULT: step must be a positive integer', exitCode: 2 }));
  });
});
