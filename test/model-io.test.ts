import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel, saveModel, Trainer } from '@shardgrad/coordinator';
import { optimizerConfig } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir } from './fixtures/train-fixtures.js';

const badInput = (message: string) => expect.objectContaining({ name: 'ShardgradError', message, exitCode: 2 });

describe('saveModel / loadModel', () => {
  it('round-trips spec, parameters and preprocessing exactly', async () => {
    const r = await new Trainer(smallConfig({ epochs: 1, preprocess: 'standardize' })).run();
    const file = path.join(tempDir('model-io'), 'm.sgm');
    saveModel(file, r);
    const m = loadModel(file);
    expect(m.spec).toEqual({ sizes: [784, 16, 10], activations: ['relu', 'softmax'], loss: 'ce' });
    expect(Buffer.compare(Buffer.from(m.params.buffer, m.params.byteOffset, m.params.byteLength), Buffer.from(r.params.buffer))).toBe(0);
    expect(m.preprocess).toEqual(r.preprocess);
    expect(m.meta.steps).toBe(12);
  });

  it('missing, empty and directory paths: one-line errors naming the file', () => {
    const dir = tempDir('model-io-bad');
    const missing = path.join(dir, 'missing.sgm');
    expect(() => loadModel(missing)).toThrow(badInput(`${missing}: no such file`));
    const empty = path.join(dir, 'empty.sgm');
    writeFileSync(empty, '');
    expect(() => loadModel(empty)).toThrow(badInput(`${empty}: not a shardgrad model file (only 0 bytes)`));
    expect(() => loadModel(dir)).toThrow(badInput(`${dir}: is a directory, not a file`));
  });

  it('truncated and corrupt model files: one-line errors naming the file', async () => {
    const r = await new Trainer(smallConfig({ epochs: 1, optimizer: optimizerConfig('sgd') })).run();
    const dir = tempDir('model-io-corrupt');
    const good = path.join(dir, 'good.sgm');
    saveModel(good, r);
    const bytes = readFileSync(good);
    const truncated = path.join(dir, 'truncated.sgm');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 4));
    // P = 784·16 + 16 + 16·10 + 10 = 12,730 floats = 50,920 bytes of weights (a model has no optimizer state)
    expect(() => loadModel(truncated)).toThrow(badInput(`${truncated}: truncated: expected 50920 bytes of weights, found 50916`));
    const flipped = path.join(dir, 'flipped.sgm');
    const copy = Uint8Array.from(bytes);
    copy[copy.length - 1] ^= 0x01;
    writeFileSync(flipped, copy);
    expect(() => loadModel(flipped)).toThrow(badInput(`${flipped}: checksum mismatch: the file is corrupt (its header or its weights)`));
  });

  it('an unwritable destination is a one-line error and leaves no file behind', async () => {
    const r = await new Trainer(smallConfig({ epochs: 1 })).run();
    const file = path.join(tempDir('model-io-ro'), 'no-such-dir', 'm.sgm');
    expect(() => saveModel(file, r)).toThrow(badInput(`${file}: cannot write: folder ${path.dirname(file)} does not exist`));
  });
});
