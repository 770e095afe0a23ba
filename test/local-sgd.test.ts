// --sync local:H (local SGD, DiLoCo) and --sync hogwild: the replicas' model bytes do not depend on
// the workers; local:1 is the step of plain SGD; a resume inside a round continues the same bytes;
// Hogwild with one worker is plain SGD on the shards one after another.
import path from 'node:path';
import { DEFAULT_CHECKPOINT_NAME, loadDataset, readModelFile, Trainer, type TrainConfig, type TrainEvent } from '@shardgrad/coordinator';
import { mlpSpec, optimizerConfig, trainLocal } from '@shardgrad/core';
import { train } from 'shardgrad';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCliAsync } from './cli-helpers.js';
import { mnistSlice, modelBytes, smallConfig, tempDir } from './fixtures/train-fixtures.js';

const bytesOf = (r: Awaited<ReturnType<Trainer['run']>>) => Buffer.from(modelBytes(r));
const local = (every: number, replicas: number, outer?: { lr: number; momentum: number }): TrainConfig['sync'] => ({ kind: 'local', every, replicas, ...(outer ? { outer: { kind: 'nesterov', ...outer } } : {}) });

/** The largest |a − b| over the largest |b|: the relative difference of two parameter vectors. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  const diff = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
  return diff / b.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

describe('--sync local:H: logical replicas, the same bits on any number of workers', () => {
  // 610 rows, batch 50: 13 steps an epoch, the last of 10 rows; 16 shards of 3–4 rows (0–1 in the
  // short batch, so the last replica has no rows in it). local:4 → rounds of steps 1–4, 5–8,
  // 9–12 and the epoch's short last round, step 13.
  const config = smallConfig({ data: mnistSlice(610, 200) });

  it('local:4 with 4 replicas (momentum): workers 0, 1, 2, 4 save the same bytes, and not those of --sync step', async () => {
    const files: Buffer[] = [];
    for (const workers of [0, 1, 2, 4]) {
      const r = await new Trainer({ ...config, workers, sync: local(4, 4) }).run();
      expect([r.steps, r.workers]).toEqual([26, workers]);
      files.push(bytesOf(r));
    }
    for (const f of files.slice(1)) expect(Buffer.compare(f, files[0])).toBe(0);
    const step = await new Trainer({ ...config, workers: 2 }).run();
    expect(Buffer.compare(bytesOf(step), files[0])).not.toBe(0);
  });

  it('3 replicas of 6, 5 and 5 shards (uneven rows, weighted average): workers 1, 2, 3 agree', async () => {
    const files: Buffer[] = [];
    for (const workers of [1, 2, 3]) files.push(bytesOf(await new Trainer({ ...config, workers, sync: local(5, 3) }).run()));
    for (const f of files.slice(1)) expect(Buffer.compare(f, files[0])).toBe(0);
  });

  it('DiLoCo (AdamW inside, outer nesterov:0.7:0.9) with 4 replicas: workers 1, 2, 4 agree, and it learns', async () => {
    const c = { ...config, optimizer: optimizerConfig('adamw'), lr: 0.01, sync: local(4, 4, { lr: 0.7, momentum: 0.9 }) };
    const runs = [];
    for (const workers of [1, 2, 4]) runs.push(await new Trainer({ ...c, workers }).run());
    for (const r of runs.slice(1)) expect(Buffer.compare(bytesOf(r), bytesOf(runs[0]))).toBe(0);
    // 10 classes: chance is 10 %
    expect(runs[0].history[1].valAccuracy).toBeGreaterThan(0.3);
    const plain = await new Trainer({ ...c, workers: 1, sync: local(4, 4) }).run();
    expect(Buffer.compare(bytesOf(plain), bytesOf(runs[0]))).not.toBe(0);
  });

  it('one replica and local:1 is --sync step bit for bit (its tree is the step\'s; n·θ/n is exact in float64)', async () => {
    const step = await new Trainer({ ...config, workers: 2 }).run();
    const one = await new Trainer({ ...config, workers: 2, sync: local(1, 1) }).run();
    expect(Buffer.compare(bytesOf(one), bytesOf(step))).toBe(0);
  });

  it('local:1 with 4 equal replicas and plain SGD is plain SGD on the whole batch, to 1e-6 relative', async () => {
    // 480 rows, batch 48: 10 full steps an epoch; 16 shards of 3 rows, 4 replicas of 12: the average
    // of the replicas' SGD steps θ − η·g_r/12 is θ − η·Σg_r/48. Expected: core's trainLocal, an
    // independent single-threaded SGD over the same shuffles (one gradient over the batch)
    const c = smallConfig({ data: mnistSlice(480, 100), batch: 48, optimizer: optimizerConfig('sgd'), lr: 0.1 });
    const ours = await new Trainer({ ...c, workers: 2, sync: local(1, 4) }).run();
    const plain = trainLocal({ spec: c.spec, X: c.data.X, Y: c.data.Y, train: c.data.trainRows, batch: 48, epochs: c.epochs, lr: c.lr, optimizer: optimizerConfig('sgd'), seed: c.seed, init: c.init });
    const d = relativeDifference(ours.params, plain.params);
    expect(d).toBeLessThan(1e-6);
    expect(d).toBeGreaterThan(0); // (a different association of the sums: not the same bits)
  });

  it('DiLoCo with local:1, 4 equal replicas and inner SGD (η) is SGD with Nesterov momentum at η·η_outer on the whole batch, to 1e-5 relative', async () => {
    // Δ = η·ḡ, m ← μm + Δ, θ ← θ − η_o(Δ + μm) is, with u = m/η, u ← μu + ḡ, θ ← θ − η·η_o(ḡ + μu):
    // core's nesterov (PyTorch's form) at lr η·η_o — trainLocal, single-threaded, as the expected value
    const c = smallConfig({ data: mnistSlice(480, 100), batch: 48, optimizer: optimizerConfig('sgd'), lr: 0.1 });
    const ours = await new Trainer({ ...c, workers: 2, sync: local(1, 4, { lr: 0.5, momentum: 0.9 }) }).run();
    const plain = trainLocal({ spec: c.spec, X: c.data.X, Y: c.data.Y, train: c.data.trainRows, batch: 48, epochs: c.epochs, lr: 0.05, optimizer: optimizerConfig('nesterov', { momentum: 0.9 }), seed: c.seed, init: c.init });
    expect(relativeDifference(ours.params, plain.params)).toBeLessThan(1e-5);
    // (and not plain SGD: the outer momentum matters)
    const sgd = trainLocal({ spec: c.spec, X: c.data.X, Y: c.data.Y, train: c.data.trainRows, batch: 48, epochs: c.epochs, lr: 0.05, optimizer: optimizerConfig('sgd'), seed: c.seed, init: c.init });
    expect(relativeDifference(ours.params, sgd.params)).toBeGreaterThan(1e-3);
  });

  it('a stop inside a round (step 3 of local:4, checkpointEvery 3) and a resume on other workers give the uninterrupted bytes', async () => {
    const c = { ...config, epochs: 2, optimizer: optimizerConfig('adamw'), lr: 0.01, sync: local(4, 4, { lr: 0.7, momentum: 0.9 }) };
    const full = await new Trainer({ ...c, workers: 2 }).run();
    const dir = tempDir('local-stop');
    const first = new Trainer({ ...c, workers: 2, checkpointDir: dir, checkpointEvery: 3 });
    first.on((e: TrainEvent) => e.type === 'step' && e.step === 1 && first.requestStop('SIGINT'));
    const stopped = await first.run();
    expect([stopped.stoppedBy, stopped.steps]).toEqual(['SIGINT', 3]);
    const ckpt = path.join(dir, DEFAULT_CHECKPOINT_NAME);
    const file = readModelFile(ckpt);
    const P = full.params.length;
    // the outer momentum, the 4 replicas' θ and their AdamW m and v
    expect(file.tensors.get('optimizer')!.length).toBe(P + 4 * P * 3);
    expect([file.meta.step, file.meta.position]).toEqual([3, 3]);
    const resumed = await new Trainer({ ...c, workers: 4, resumeFrom: ckpt }).run();
    expect(resumed.steps).toBe(26);
    expect(Buffer.compare(bytesOf(resumed), bytesOf(full))).toBe(0);
    expect(resumed.history.map((e) => e.trainLoss)).toEqual(full.history.map((e) => e.trainLoss));
  });

  it('a checkpoint of --sync step is refused by a local:H run, naming the setting', async () => {
    const dir = tempDir('local-refuse');
    await new Trainer({ ...config, epochs: 1, workers: 1, checkpointDir: dir }).run();
    const resumed = new Trainer({ ...config, workers: 1, sync: local(4, 4), resumeFrom: path.join(dir, DEFAULT_CHECKPOINT_NAME) });
    await expect(resumed.run()).rejects.toThrow(/written with sync none, this run has/);
  });
});

describe('--sync hogwild', () => {
  it('with one worker it is plain SGD on the shards one after another: trainLocal with the shard as the batch, bit for bit', async () => {
    // batch 48 in 4 shards of 12: each shard's update is an SGD step of batch 12 over the same order
    const c = smallConfig({ data: mnistSlice(480, 100), batch: 48, shards: 4, workers: 1, sync: { kind: 'hogwild' } });
    const ours = await new Trainer(c).run();
    const plain = trainLocal({ spec: c.spec, X: c.data.X, Y: c.data.Y, train: c.data.trainRows, batch: 12, epochs: c.epochs, lr: c.lr, optimizer: optimizerConfig('momentum'), seed: c.seed, init: c.init });
    expect(Buffer.compare(Buffer.from(ours.params.buffer), Buffer.from(plain.params.buffer))).toBe(0);
    // 2 epochs × 10 steps × 4 shards, none stale with one worker
    expect(ours.staleness).toEqual({ updates: 80, mean: 0 });
  });

  it('with 2 workers it trains and reports its staleness', async () => {
    const c = smallConfig({ data: mnistSlice(600, 200), workers: 2, shards: 4, sync: { kind: 'hogwild' }, optimizer: optimizerConfig('sgd') });
    const r = await new Trainer(c).run();
    expect(r.workers).toBe(2);
    expect(r.history[1].trainLoss).toBeLessThan(r.history[0].trainLoss);
    // chance is 10 %; one worker (the same updates in order) reaches 64 % here, racing pairs 61–63 %
    expect(r.history[1].valAccuracy).toBeGreaterThan(0.3);
    expect(r.staleness!.updates).toBe(2 * 12 * 4);
    expect(r.staleness!.mean).toBeGreaterThanOrEqual(0);
  });
});

describe('settings a user can get wrong', () => {
  const config = smallConfig();
  it.each([
    [{ kind: 'local', every: 0, replicas: 2 }, 'sync: local:H needs H a positive integer (steps between averages), got "local:0"'],
    [{ kind: 'local', every: 2, replicas: 17 }, 'replicas: 17 is more than the 16 virtual shards'],
    [{ kind: 'local', every: 2, replicas: 2, outer: { kind: 'nesterov', lr: 0.7, momentum: 1 } }, 'outer: must be nesterov:LR:MOMENTUM'],
    [{ kind: 'sgd' }, "sync: must be { kind: 'local', every, replicas, outer? } or { kind: 'hogwild' }"],
  ])('%j', (sync, message) => {
    expect(() => new Trainer({ ...config, sync: sync as TrainConfig['sync'] })).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining(message) }));
  });

  it('not across MPI ranks', () => {
    expect(() => new Trainer({ ...config, sync: { kind: 'hogwild' }, distributed: { rank: 0, size: 2 } })).toThrow('sync: hogwild runs in one process, not across MPI ranks');
  });
});

describe('the front ends', () => {
  it('the CLI: each bad sync flag is one line naming the flag, exit code 2', async () => {
    const cases: [string[], string][] = [
      [['--sync', 'local:0'], 'shardgrad: --sync: local:H needs H a positive integer (steps between averages), got "local:0"'],
      [['--sync', 'every'], 'shardgrad: --sync: must be step, local:H (H a positive integer: steps between averages) or hogwild, got "every"'],
      [['--replicas', '2'], 'shardgrad: --replicas: only applies with --sync local:H (sync is step)'],
      [['--sync', 'local:2', '--shards', '4', '--replicas', '5'], 'shardgrad: --replicas: 5 is more than the 4 virtual shards (each replica is at least one shard): give --shards 5 or more'],
      [['--sync', 'hogwild', '--outer', 'nesterov:0.7:0.9'], 'shardgrad: --outer: only applies with --sync local:H (sync is hogwild)'],
      [['--sync', 'local:2', '--outer', 'nesterov:0.7'], 'shardgrad: --outer: must be nesterov:LR:MOMENTUM (LR a positive number, MOMENTUM in [0, 1), e.g. nesterov:0.7:0.9), got "nesterov:0.7"'],
    ];
    const out = tempDir('local-flags');
    const runs = await Promise.all(cases.map(([flags], i) => runCliAsync(['train', '--data', 'xor', '--epochs', '1', '--out', path.join(out, `m${i}.sgm`), ...flags])));
    runs.forEach((r, i) => {
      expect(r.status, cases[i][1]).toBe(2);
      expect(r.stderr).toBe(`${cases[i][1]}\n`);
    });
  });

  it('the CLI: hogwild says in its summary and --json that it is not reproducible; local:H the same bytes as the library', async () => {
    const dir = tempDir('local-cli');
    const common = ['train', '--data', 'blobs', '--hidden', '8', '--epochs', '2', '--batch', '32', '--shards', '4', '--workers', '2'];
    const [hog, hogJson, loc] = await Promise.all([
      runCliAsync([...common, '--sync', 'hogwild', '--out', path.join(dir, 'h.sgm')]),
      runCliAsync([...common, '--sync', 'hogwild', '--out', path.join(dir, 'hj.sgm'), '--json']),
      runCliAsync([...common, '--sync', 'local:3', '--replicas', '2', '--out', path.join(dir, 'l.sgm'), '--json']),
    ]);
    expect(hog.status).toBe(0);
    expect(hog.stdout).toMatch(/--sync hogwild: not reproducible \(the workers race on θ\); \d+ updates, mean staleness \d+\.\d\d/);
    const summary = jsonLines(hogJson.stdout).find((l) => l.type === 'summary')!;
    expect(summary).toMatchObject({ sync: 'hogwild', reproducible: false });
    expect(summary.meanStaleness).toBeGreaterThanOrEqual(0);
    expect(jsonLines(loc.stdout).find((l) => l.type === 'summary')).toMatchObject({ sync: 'local:3, 2 replicas', workers: 2 });
    // the library with the same settings (blobs: the CLI's built-in set, standardized as the CLI does)
    const data = loadDataset({ kind: 'synthetic', name: 'blobs' }, 1);
    const lib = await new Trainer({
      ...smallConfig(),
      data,
      spec: mlpSpec([data.inputs, 8, data.outputs], 'relu', 'softmax', 'ce'),
      optimizer: optimizerConfig('sgd'),
      lr: 0.1,
      batch: 32,
      epochs: 2,
      shards: 4,
      seed: 1,
      preprocess: 'standardize',
      kernel: 'auto',
      workers: 1,
      sync: local(3, 2),
    }).run();
    expect(Buffer.from(readModelFile(path.join(dir, 'l.sgm')).tensors.get('params')!.buffer).equals(Buffer.from(lib.params.buffer))).toBe(true);
  });

  it('the library: sync, replicas and outer are options (the same checks)', async () => {
    const x = Array.from({ length: 64 }, (_, i) => [Math.cos(i), Math.sin(i)]);
    const y = x.map(([a]) => (a > 0 ? 1 : 0));
    const a = await train({ x, y, hidden: [4], epochs: 2, batch: 16, shards: 4, workers: 1, sync: 'local:2', replicas: 2, outer: 'nesterov:0.5:0.5' });
    const b = await train({ x, y, hidden: [4], epochs: 2, batch: 16, shards: 4, workers: 2, sync: 'local:2', replicas: 2, outer: 'nesterov:0.5:0.5' });
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
    const h = await train({ x, y, hidden: [4], epochs: 1, batch: 16, shards: 4, workers: 1, sync: 'hogwild' });
    expect(h.info.staleness).toEqual({ updates: 16, mean: 0 });
    await expect(train({ x, y, sync: 'local:2', replicas: 0 })).rejects.toThrow('replicas: must be a positive integer, got 0');
  });
});
