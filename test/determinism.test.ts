import { readFileSync } from 'node:fs';
import path from 'node:path';
import { saveModel, Trainer } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { mnistSlice, modelBytes, smallConfig, tempDir, trainLocalOf } from './fixtures/train-fixtures.js';

describe('determinism: the number of workers never changes the weights', () => {
  // 610 rows with batch 50: 13 steps per epoch, the last one short (10 samples); 16 virtual shards
  // of 3–4 samples (0–1 for the short batch, so some shards are empty)
  const config = smallConfig({ data: mnistSlice(610, 200) });

  it('workers 0 (in-process), 1, 2, 3, 4, 5, 8 and 16 save byte-identical model files', async () => {
    // 3 and 5 do not divide the 16 shards: those workers publish subtrees of different sizes
    const dir = tempDir('determinism');
    const files: Buffer[] = [];
    for (const workers of [0, 1, 2, 3, 4, 5, 8, 16]) {
      const result = await new Trainer({ ...config, workers }).run();
      expect(result.steps).toBe(26);
      const file = path.join(dir, `w${workers}.sgm`);
      saveModel(file, result);
      files.push(readFileSync(file));
    }
    for (const f of files.slice(1)) expect(Buffer.compare(f, files[0])).toBe(0);
  });

  it('a different seed gives different weights (the comparison above can fail)', async () => {
    const a = await new Trainer({ ...config, workers: 2 }).run();
    const b = await new Trainer({ ...config, workers: 2, seed: 8 }).run();
    expect(Buffer.compare(Buffer.from(modelBytes(a)), Buffer.from(modelBytes(b)))).not.toBe(0);
  });

  it('with one shard and no workers it is exactly core\'s single-threaded trainLocal', async () => {
    // trainLocal is the plain algorithm (one accumulateGradient over the batch, g·(1/B), optimizer
    // over all P): an independent implementation of the same math, cumulative seeded shuffles included
    const c = { ...config, shards: 1, workers: 0 };
    const ours = await new Trainer(c).run();
    const plain = trainLocalOf(c);
    expect(Buffer.compare(Buffer.from(ours.params.buffer), Buffer.from(plain.params.buffer))).toBe(0);
    expect(ours.history.map((e) => e.trainLoss)).toEqual(plain.epochLosses);
  });
});
