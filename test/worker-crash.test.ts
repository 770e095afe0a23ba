import path from 'node:path';
import { DEFAULT_CHECKPOINT_NAME, readModelFile, Trainer } from '@shardgrad/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { smallConfig, tempDir } from './fixtures/train-fixtures.js';

const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;

describe('a worker that fails mid-step is replaced and its shards recomputed', () => {
  const config = smallConfig({ workers: 2, epochs: 1 });
  afterEach(() => {
    delete process.env.SHARDGRAD_FAULT;
  });

  it.each(['exit', 'throw'] as const)('kind=%s at step 3 in worker 1: same weights as the fault-free run, one retry', async (kind) => {
    const clean = await new Trainer(config).run();
    expect(clean.workerRetries).toBe(0);
    // the runner computes worker 1's shards, fills the partial sum it publishes with NaN, then fails
    process.env.SHARDGRAD_FAULT = `worker=1,step=3,kind=${kind}`;
    const faulty = await new Trainer(config).run();
    expect(faulty.workerRetries).toBe(1);
    expect(faulty.steps).toBe(clean.steps);
    expect(same(faulty.params, clean.params)).toBe(true);
  });

  it.each(['exit', 'throw'] as const)('kind=%s half-way through worker 1\'s parameter update at step 3: slice restored, same weights', async (kind) => {
    // momentum: the optimizer state must be restored along with θ, or the retry would apply it twice
    const clean = await new Trainer(config).run();
    process.env.SHARDGRAD_FAULT = `worker=1,step=3,kind=${kind},phase=update`;
    const faulty = await new Trainer(config).run();
    expect(faulty.workerRetries).toBe(1);
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

describe('a worker that keeps failing ends the run', () => {
  afterEach(() => {
    delete process.env.SHARDGRAD_FAULT;
  });

  it('three failures of step 3: one-line error, exit code 1, checkpoint of step 2 intact', async () => {
    process.env.SHARDGRAD_FAULT = 'worker=0,step=3,kind=throw,times=3';
    const dir = tempDir('keeps-failing');
    const t = new Trainer(smallConfig({ workers: 2, epochs: 1, checkpointDir: dir, checkpointEvery: 1 }));
    await expect(t.run()).rejects.toThrow(
      expect.objectContaining({ message: 'a worker failed 3 times at step 3: injected fault (SHARDGRAD_FAULT)', exitCode: 1 }),
    );
    expect(readModelFile(path.join(dir, DEFAULT_CHECKPOINT_NAME)).meta.step).toBe(2);
  });
});
