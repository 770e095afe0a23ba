import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CHECKPOINT_NAME, loadModel, readModelFile, Trainer } from '@shardgrad/coordinator';
import { isShardgradError, mlpSpec, optimizerConfig, type ShardgradError } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir } from './fixtures/train-fixtures.js';

describe('divergence: a NaN or infinite loss or gradient stops training', () => {
  // a linear output with squared error and lr 50 overshoots further each step until floats overflow
  const config = smallConfig({
    spec: mlpSpec([784, 16, 10], 'tanh', 'identity', 'mse'),
    optimizer: optimizerConfig('sgd'),
    lr: 50,
    workers: 2,
    checkpointEvery: 1,
  });

  it('with a one-line error naming the step, exit code 1; the last good checkpoint stays intact and loadable', async () => {
    const dir = tempDir('diverge');
    let lastLoss = 0;
    const t = new Trainer({ ...config, checkpointDir: dir });
    t.on((e) => e.type === 'step' && (lastLoss = e.loss));
    const err = (await t.run().then(
      () => undefined,
      (e: unknown) => e,
    )) as ShardgradError;
    expect(isShardgradError(err)).toBe(true);
    expect(err.exitCode).toBe(1);
    const m = /^training diverged at step (\d+): (the loss is not finite|the gradient or the parameters are not finite)$/.exec(err.message);
    expect(m).not.toBeNull();
    const badStep = Number(m![1]);
    expect(badStep).toBeGreaterThan(1);
    expect(Number.isFinite(lastLoss)).toBe(true);
    expect(lastLoss).toBeGreaterThan(1e3); // it was blowing up, not a spurious stop

    // checkpoints every step: the file holds step badStep − 1, finite, loadable
    const file = path.join(dir, DEFAULT_CHECKPOINT_NAME);
    expect(readModelFile(file).meta.step).toBe(badStep - 1);
    const model = loadModel(file);
    expect(model.params.every(Number.isFinite)).toBe(true);

    // and it is byte for byte the checkpoint of the same run stopped right after step badStep − 1
    const dir2 = tempDir('diverge-stop');
    const t2 = new Trainer({ ...config, checkpointDir: dir2, workers: 0 });
    t2.on((e) => e.type === 'step' && e.step === badStep - 1 && t2.requestStop('SIGINT'));
    expect((await t2.run()).steps).toBe(badStep - 1);
    expect(Buffer.compare(readFileSync(file), readFileSync(path.join(dir2, DEFAULT_CHECKPOINT_NAME)))).toBe(0);
  });
});
