import path from 'node:path';
import { DEFAULT_CHECKPOINT_NAME, readModelFile, Trainer } from '@shardgrad/coordinator';
import { parseFaultSpec } from '@shardgrad/worker';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './cli-helpers.js';
import { smallConfig, tempDir } from './fixtures/train-fixtures.js';

/** The fault switch as the CLI reads it from SHARDGRAD_FAULT; the library takes it as the option `fault`. */
const withFault = (text: string) => ({ fault: parseFaultSpec(text)! });

const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;

describe('a worker that fails mid-step is replaced and its shards recomputed', () => {
  const config = smallConfig({ workers: 2, epochs: 1 });

  it.each(['exit', 'throw'] as const)('kind=%s at step 3 in worker 1: same weights as the fault-free run, one retry', async (kind) => {
    const clean = await new Trainer(config).run();
    expect(clean.workerRetries).toBe(0);
    // the runner computes worker 1's shards, fills the partial sum it publishes with NaN, then fails
    const faulty = await new Trainer({ ...config, ...withFault(`worker=1,step=3,kind=${kind}`) }).run();
    expect(faulty.workerRetries).toBe(1);
    expect(faulty.steps).toBe(clean.steps);
    expect(same(faulty.params, clean.params)).toBe(true);
  });

  // steps 3 and 4 of the epoch's segment read θ from the first and the second buffers: both directions of the double buffer
  it.each([
    ['exit', 3],
    ['throw', 3],
    ['exit', 4],
    ['throw', 4],
  ] as const)("kind=%s half-way through worker 1's parameter update at step %i: the step recomputed from its untouched buffers, same weights", async (kind, step) => {
    // momentum: the retry must start from the optimizer state the step read, or it would apply it twice
    const clean = await new Trainer(config).run();
    const faulty = await new Trainer({ ...config, ...withFault(`worker=1,step=${step},kind=${kind},phase=update`) }).run();
    expect(faulty.workerRetries).toBe(1);
    expect(same(faulty.params, clean.params)).toBe(true);
  });

  it('only pool workers read the fault switch: the in-process run ignores it, a pooled run retries once', async () => {
    const fault = withFault('worker=0,step=1,kind=throw');
    expect((await new Trainer({ ...config, ...fault, workers: 0 }).run()).workerRetries).toBe(0);
    expect((await new Trainer({ ...config, ...fault }).run()).workerRetries).toBe(1);
  });

  it('a malformed SHARDGRAD_FAULT is a one-line error naming the variable, exit code 2', () => {
    expect(() => parseFaultSpec('worker=1,step=0')).toThrow(expect.objectContaining({ message: 'SHARDGRAD_FAULT: step must be a positive integer', exitCode: 2 }));
    const r = runCli(['train', '--data', 'xor', '--epochs', '1'], { env: { SHARDGRAD_FAULT: 'worker=1,step=0' } });
    expectOneLineError(r, 'SHARDGRAD_FAULT: step must be a positive integer');
  });

  it('the CLI passes SHARDGRAD_FAULT on: one retry reported, same weights as without it', () => {
    const dir = tempDir('cli-fault');
    const args = (out: string) => ['train', '--data', 'xor', '--epochs', '1', '--workers', '2', '--json', '--out', path.join(dir, out)];
    const clean = runCli(args('clean.sgm'));
    const faulty = runCli(args('faulty.sgm'), { env: { SHARDGRAD_FAULT: 'worker=1,step=2,kind=exit' } });
    expect(clean.status, clean.stderr).toBe(0);
    expect(faulty.status, faulty.stderr).toBe(0);
    expect(same(readModelFile(path.join(dir, 'faulty.sgm')).tensors.get('params')!, readModelFile(path.join(dir, 'clean.sgm')).tensors.get('params')!)).toBe(true);
  });
});

describe('a worker that keeps failing ends the run', () => {
  it('three failures of step 3: one-line error, exit code 1, checkpoint of step 2 intact', async () => {
    const dir = tempDir('keeps-failing');
    const t = new Trainer(smallConfig({ workers: 2, epochs: 1, checkpointDir: dir, checkpointEvery: 1, ...withFault('worker=0,step=3,kind=throw,times=3') }));
    await expect(t.run()).rejects.toThrow(
      expect.objectContaining({ message: 'a worker failed 3 times at step 3: injected fault (SHARDGRAD_FAULT)', exitCode: 1 }),
    );
    expect(readModelFile(path.join(dir, DEFAULT_CHECKPOINT_NAME)).meta.step).toBe(2);
  });
});
