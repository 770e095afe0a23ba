import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CHECKPOINT_NAME, saveModel, Trainer, type TrainConfig } from '@shardgrad/coordinator';
import { mlpSpec } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir } from './fixtures/train-fixtures.js';

const badInput = (message: string) => expect.objectContaining({ name: 'ShardgradError', message, exitCode: 2 });

/** Builds a config with one field replaced by something a user (or a buggy front end) could pass. */
const withField = (field: keyof TrainConfig, value: unknown) => ({ ...smallConfig(), [field]: value }) as TrainConfig;

describe('bad settings: one-line error naming the field (the CLI prints its flag), exit code 2, thrown before anything runs', () => {
  it.each([
    ['lr', 0, 'lr: must be a positive number, got 0'],
    ['lr', -0.1, 'lr: must be a positive number, got -0.1'],
    ['lr', Number.NaN, 'lr: must be a positive number, got NaN'],
    ['lr', Number.POSITIVE_INFINITY, 'lr: must be a positive number, got Infinity'],
    ['lr', '0.1', 'lr: must be a positive number, got "0.1"'],
    ['batch', 0, 'batch: must be a positive integer, got 0'],
    ['batch', 2.5, 'batch: must be a positive integer, got 2.5'],
    ['batch', 'abc', 'batch: must be a positive integer, got "abc"'],
    ['epochs', -1, 'epochs: must be a positive integer, got -1'],
    ['epochs', Number.NaN, 'epochs: must be a positive integer, got NaN'],
    ['workers', -1, 'workers: must be a non-negative integer (0 = no worker threads), got -1'],
    ['workers', 1.5, 'workers: must be a non-negative integer (0 = no worker threads), got 1.5'],
    ['shards', 0, 'shards: must be a positive integer, got 0'],
    ['valSplit', 1, 'valSplit: must be a fraction in [0, 1), got 1'],
    ['kernel', 'gpu', 'kernel: must be one of auto, native, wasm, reference, got "gpu"'],
  ] as const)('%s = %s', (field, value, message) => {
    expect(() => new Trainer(withField(field, value))).toThrow(badInput(message));
  });

  it('a batch larger than the training set (600 rows)', () => {
    expect(() => new Trainer(smallConfig({ batch: 601 }))).toThrow(badInput('batch: 601 is larger than the 600 training rows'));
    // with a 25 % validation split only 450 rows are left to train on
    expect(() => new Trainer(smallConfig({ batch: 451, valSplit: 0.25 }))).toThrow(badInput('batch: 451 is larger than the 450 training rows'));
    expect(() => new Trainer(smallConfig({ batch: 450, valSplit: 0.25 }))).not.toThrow();
  });

  it('layer sizes that do not fit the data (784 inputs, 10 classes)', () => {
    expect(() => new Trainer(smallConfig({ spec: mlpSpec([100, 16, 10], 'relu', 'softmax', 'ce') }))).toThrow(
      badInput('layers: the input layer has 100 units but the mnist-slice data has 784 inputs'),
    );
    expect(() => new Trainer(smallConfig({ spec: mlpSpec([784, 16, 3], 'relu', 'softmax', 'ce') }))).toThrow(
      badInput('layers: the output layer has 3 units but the mnist-slice data has 10 targets'),
    );
  });
});

describe('bad checkpoints to resume from: one-line error naming the file, exit code 2', () => {
  const dir = tempDir('bad-ckpt');
  const resume = (file: string, over: Partial<TrainConfig> = {}) => new Trainer(smallConfig({ resumeFrom: file, ...over })).run();

  async function goodCheckpoint(): Promise<string> {
    const d = tempDir('good-ckpt');
    const t = new Trainer(smallConfig({ checkpointDir: d }));
    t.on((e) => e.type === 'step' && e.step === 2 && t.requestStop('SIGINT'));
    await t.run();
    return path.join(d, DEFAULT_CHECKPOINT_NAME);
  }

  it('missing', async () => {
    const file = path.join(dir, 'nope.sgm');
    await expect(resume(file)).rejects.toThrow(badInput(`${file}: no such file`));
  });

  it('not a shardgrad file', async () => {
    const file = path.join(dir, 'garbage.sgm');
    writeFileSync(file, 'this is not a checkpoint at all');
    await expect(resume(file)).rejects.toThrow(badInput(`${file}: not a shardgrad model file (wrong magic bytes)`));
  });

  it('truncated', async () => {
    const bytes = readFileSync(await goodCheckpoint());
    const file = path.join(dir, 'truncated.sgm');
    writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    // params P = 784·16 + 16 + 16·10 + 10 = 12730 floats, momentum state P more: 2·12730·4 = 101840 bytes
    await expect(resume(file)).rejects.toThrow(badInput(`${file}: truncated: expected 101840 bytes of weights, found 101830`));
  });

  it('corrupt weights (one flipped byte)', async () => {
    const bytes = Uint8Array.from(readFileSync(await goodCheckpoint()));
    bytes[bytes.length - 5] ^= 0xff;
    const file = path.join(dir, 'flipped.sgm');
    writeFileSync(file, bytes);
    await expect(resume(file)).rejects.toThrow(badInput(`${file}: checksum mismatch: the file is corrupt (its header or its weights)`));
  });

  it('a model file instead of a checkpoint', async () => {
    const file = path.join(dir, 'model.sgm');
    saveModel(file, await new Trainer(smallConfig({ epochs: 1 })).run());
    await expect(resume(file)).rejects.toThrow(badInput(`${file}: is a model file, not a checkpoint (resume needs a checkpoint)`));
  });

  it('a checkpoint of other layers or another batch size', async () => {
    const file = await goodCheckpoint();
    await expect(resume(file, { spec: mlpSpec([784, 32, 10], 'relu', 'softmax', 'ce') })).rejects.toThrow(
      badInput(`${file}: checkpoint is for layers 784-16-10 (relu,softmax), not 784-32-10 (relu,softmax)`),
    );
    await expect(resume(file, { batch: 25 })).rejects.toThrow(badInput(`${file}: written with batch 50, this run has 25: a resumed run needs every setting of the run it continues`));
  });
});
