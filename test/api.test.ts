import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDataset, nodeEngine, readModelFile, TrainingRun } from '@shardgrad/coordinator';
import { argmax, mlpSpec, optimizerConfig, referenceKernels, specLayout } from '@shardgrad/core';
import { loadModel, Model, ShardgradError, train, Trainer, type StepEvent, type TrainOptions } from 'shardgrad';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli-helpers.js';

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** 160 rows of two features on a 1/8 grid (exact in float32 and in CSV text) and 3 classes. */
function gridRows(n = 160): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = ((i * 37) % 16) / 8 - 1;
    const b = ((i * 11) % 16) / 4;
    x.push([a, b]);
    y.push(a + b / 4 < 0 ? 0 : a < 0.5 ? 1 : 2);
  }
  return { x, y };
}

describe('train() gives the weights `shardgrad train` gives with the same settings', () => {
  const dir = tempDir('api-cli');
  const csv = path.join(dir, 'grid.csv');
  const { x, y } = gridRows();
  writeFileSync(csv, 'a,b,label\n' + x.map((r, i) => `${r[0]},${r[1]},${y[i]}`).join('\n') + '\n');
  // the rows in the order the CLI's CSV loader places them (a fixed seeded order), as x and labels
  const loaded = loadDataset({ kind: 'csv', path: csv }, 1);
  const X = loaded.X; // (N, 2), a Float32Array over a SharedArrayBuffer: used in place
  const labels = Array.from({ length: loaded.rows }, (_, r) => argmax(loaded.Y, r * 3, 3));

  it('defaults (sgd, lr 0.1, batch 64 → 4 shards, seed 1, glorot, standardize): CLI with 2 workers = API in-process', async () => {
    const out = path.join(dir, 'defaults.sgm');
    const r = runCli(['train', '--data', `csv:${csv}`, '--test-split', '0', '--layers', '2,6,3', '--epochs', '3', '--workers', '2', '--json', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const model = await train({ x: X, y: labels, layers: [2, 6, 3], epochs: 3, workers: 0 });
    const cli = readModelFile(out);
    expect(bytes(model.params).equals(bytes(cli.tensors.get('params')!))).toBe(true);
    expect(model.spec).toEqual(cli.spec);
    expect(model.preprocess).toEqual(cli.preprocess);
    expect(model.info!.steps).toBe(3 * Math.ceil(160 / 64));
  });

  it('explicit settings (adam, cosine, batch 16, 4 shards, seed 5, minmax): CLI in-process = API with 2 workers, and the saved files agree', async () => {
    const out = path.join(dir, 'adam.sgm');
    const flags = ['--optimizer', 'adam', '--lr', '0.01', '--lr-schedule', 'cosine', '--batch', '16', '--shards', '4', '--seed', '5', '--preprocess', 'minmax', '--hidden', '5,4'];
    const r = runCli(['train', '--data', `csv:${csv}`, '--test-split', '0', ...flags, '--epochs', '2', '--workers', '0', '--json', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const model = await train({ x: X, y: labels, layers: [2, 5, 4, 3], optimizer: 'adam', lr: 0.01, schedule: 'cosine', batch: 16, shards: 4, seed: 5, preprocess: 'minmax', epochs: 2, workers: 2 });
    const cli = readModelFile(out);
    expect(bytes(model.params).equals(bytes(cli.tensors.get('params')!))).toBe(true);
    // the API's file is read by the CLI's reader and the CLI's file by loadModel: same network, same outputs
    const mine = path.join(dir, 'api.sgm');
    model.save(mine);
    const back = readModelFile(mine);
    expect(bytes(back.tensors.get('params')!).equals(bytes(cli.tensors.get('params')!))).toBe(true);
    expect(back.data).toEqual({ task: 'classification' });
    const fromCli = await loadModel(out);
    expect(bytes(fromCli.predict(x)).equals(bytes(model.predict(x)))).toBe(true);
    const p = runCli(['predict', '--model', mine, '--input', '-'], { input: 'a,b\n0.5,1\n-1,0\n' });
    expect(p.stdout).toBe(model.classify([[0.5, 1], [-1, 0]]).join('\n') + '\n');
  });
});

describe('predict and evaluate: a forward pass worked out by hand', () => {
  // 2-2-1, relu then identity, mse; standardize with mean (1, 2) and std (2, 4)
  const spec = mlpSpec([2, 2, 1], 'relu', 'identity', 'mse');
  // W⁰ (2×2, row i = input i) = [[1, −1], [0.5, 2]], b⁰ = (0.25, −0.5), W¹ = (2, −1)ᵀ, b¹ = 0.5
  const params = Float32Array.from([1, -1, 0.5, 2, 0.25, -0.5, 2, -1, 0.5]);
  const model = new Model({ spec, params, preprocess: { kind: 'standardize', mean: [1, 2], std: [2, 4] }, task: 'regression' });
  const x = [
    [3, 2], // scaled (1, 0): hidden relu(1.25, −1.5) = (1.25, 0), out 2.5 + 0.5 = 3
    [-1, 10], // scaled (−1, 2): hidden relu(0.25, 4.5), out 0.5 − 4.5 + 0.5 = −3.5
  ];

  it('predict: (3, −3.5), from rows or from a flat array, the input left unchanged', () => {
    expect(Array.from(model.predict(x))).toEqual([3, -3.5]);
    const flat = Float32Array.from([3, 2, -1, 10]);
    expect(Array.from(model.predict(flat))).toEqual([3, -3.5]);
    expect(Array.from(flat)).toEqual([3, 2, -1, 10]);
    expect(specLayout(spec).total).toBe(9);
  });

  it('evaluate: mse ((3−3)² + (−3.5+3)²)/2 = 0.125; no accuracy for regression', () => {
    const e = model.evaluate(x, [3, -3]);
    expect(e.loss).toBe(0.125);
    expect(e.accuracy).toBeNaN();
    expect(e.rows).toBe(2);
  });

  it('classify: a 1-2 softmax net with W = (1, −1) names its classes; probabilities 1/(1+e^∓4)', () => {
    const m = new Model({ spec: mlpSpec([1, 2], 'relu', 'softmax', 'ce'), params: Float32Array.from([1, -1, 0, 0]), preprocess: { kind: 'none' }, task: 'classification', classes: ['cat', 'dog'] });
    expect(m.classify([[2], [-1]])).toEqual(['cat', 'dog']);
    const p = m.predict([[2]]);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-4)), 6);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(4)), 6);
    // accuracy 1/2: the second row is class 1 ('dog') but labelled 'cat'
    expect(m.evaluate([[2], [-1]], ['cat', 'cat']).accuracy).toBe(0.5);
  });
});

describe('what y means', () => {
  const { x, y } = gridRows(64);
  const quick = { x, epochs: 1, batch: 32, workers: 0 } as const;

  it('string labels: classes sorted, saved, classify returns names', async () => {
    const names = y.map((k) => ['red', 'green', 'blue'][k]);
    const m = await train({ ...quick, y: names });
    expect(m.task).toBe('classification');
    expect(m.classes).toEqual(['blue', 'green', 'red']);
    expect(m.spec.sizes).toEqual([2, 128, 3]);
    expect(m.spec.loss).toBe('ce');
    const dir = tempDir('api-names');
    m.save(path.join(dir, 'm.sgm'));
    expect((await loadModel(path.join(dir, 'm.sgm'))).classes).toEqual(['blue', 'green', 'red']);
    expect(names.includes(m.classify([x[0]])[0] as string)).toBe(true);
  });

  it('one-hot rows = integer labels (same weights); float values are regression (identity output, mse)', async () => {
    const hot = y.map((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0)));
    const a = await train({ ...quick, y });
    const b = await train({ ...quick, y: hot });
    expect(bytes(a.params).equals(bytes(b.params))).toBe(true);
    const r = await train({ ...quick, y: x.map(([p, q]) => p * 0.5 + q * 0.25) });
    expect(r.task).toBe('regression');
    expect(r.spec.activations.at(-1)).toBe('identity');
    expect(r.spec.loss).toBe('mse');
    expect(r.spec.sizes).toEqual([2, 128, 1]);
  });

  it("optimizer { kind: 'sgd' } gets the usual constants (it used to diverge at step 1)", async () => {
    const a = await train({ ...quick, y, optimizer: 'sgd' });
    const b = await train({ ...quick, y, optimizer: { kind: 'sgd' } });
    expect(bytes(a.params).equals(bytes(b.params))).toBe(true);
  });

  it('validation rows of their own are evaluated each epoch: the epoch event matches model.evaluate', async () => {
    const m = await train({ ...quick, y, validation: { x: x.slice(0, 10), y: y.slice(0, 10) }, preprocess: 'none', kernel: 'reference' });
    const e = m.evaluate(x.slice(0, 10), y.slice(0, 10));
    expect(m.history[0].valLoss).toBeCloseTo(e.loss, 6);
    expect(m.history[0].valAccuracy).toBe(e.accuracy);
  });
});

describe('events, stopping and fault injection', () => {
  const { x, y } = gridRows(100);
  const base: TrainOptions = { x, y, hidden: [4], epochs: 3, batch: 20, workers: 0 };

  it('a step event per step and an epoch event per epoch, in order', async () => {
    const seen: string[] = [];
    const t = new Trainer(base);
    t.on('step', (e) => seen.push(`s${e.step}`));
    t.on('epoch', (e) => seen.push(`e${e.epoch}`));
    const m = await t.run();
    const want = [1, 2, 3].flatMap((ep) => [...[1, 2, 3, 4, 5].map((s) => `s${(ep - 1) * 5 + s}`), `e${ep}`]);
    expect(seen).toEqual(want);
    expect(m.history).toHaveLength(3);
  });

  it('an AbortSignal aborted in step 7 ends the run after it: 7 steps, the weights of a 7-step run', async () => {
    const controller = new AbortController();
    const m = await train({ ...base, signal: controller.signal, onStep: (e: StepEvent) => e.step === 7 && controller.abort() });
    expect(m.info!.steps).toBe(7);
    expect(m.info!.stoppedBy).toBe('abort');
    const t = new Trainer(base);
    t.on('step', (e) => e.step === 7 && t.stop());
    const stopped = await t.run();
    expect(bytes(stopped.params).equals(bytes(m.params))).toBe(true);
  });

  it('model.info.workers is the worker count that ran: 5 asked over 2 shards run 2 threads, 0 runs none; the same weights', async () => {
    const clamped = await train({ ...base, epochs: 1, shards: 2, workers: 5 });
    const inProcess = await train({ ...base, epochs: 1, shards: 2, workers: 0 });
    expect([clamped.info!.workers, inProcess.info!.workers]).toEqual([2, 0]);
    // one process: threads share memory, nothing crosses to another process (said, not omitted)
    const none = { sentBytes: 0, receivedBytes: 0, exchanges: 0 };
    expect([clamped.info!.comm, inProcess.info!.comm, clamped.history[0]!.comm]).toEqual([none, none, none]);
    expect(bytes(clamped.params).equals(bytes(inProcess.params))).toBe(true);
  });

  it('weightDecay reaches the optimizer: adamw with λ 0 is Adam bit for bit, its default λ 0.01 is not', async () => {
    const adam = await train({ ...base, epochs: 1, optimizer: 'adam', lr: 0.01 });
    const noDecay = await train({ ...base, epochs: 1, optimizer: 'adamw', weightDecay: 0, lr: 0.01 });
    const adamw = await train({ ...base, epochs: 1, optimizer: 'adamw', lr: 0.01 });
    expect(bytes(noDecay.params).equals(bytes(adam.params))).toBe(true);
    expect(bytes(adamw.params).equals(bytes(adam.params))).toBe(false);
    expect(new Trainer({ ...base, optimizer: 'adamw' }).settings.optimizer.weightDecay).toBe(0.01);
    expect(new Trainer({ ...base, optimizer: { kind: 'adamw', weightDecay: 0.2 } }).settings.optimizer.weightDecay).toBe(0.2);
  });

  it('fault option: worker 1 exits at step 2, is replaced, same weights as the clean run', async () => {
    // (batch 20 defaults to 1 shard, which one worker runs: 4 shards give worker 1 some)
    const clean = await train({ ...base, workers: 2, epochs: 1, shards: 4 });
    const faulty = await train({ ...base, workers: 2, epochs: 1, shards: 4, fault: 'worker=1,step=2,kind=exit' });
    expect(faulty.info!.workerRetries).toBe(1);
    expect(bytes(faulty.params).equals(bytes(clean.params))).toBe(true);
  });
});

describe('every mistake is one line naming the field and what was expected', () => {
  const x = Array.from({ length: 10 }, (_, i) => [i / 8, 1 - i / 8]);
  const y = x.map((_, i) => i % 2);
  const cases: [string, Record<string, unknown>, string][] = [
    ['layers vs x', { layers: [784, 128, 10] }, 'x: expected 784 columns per row (layers[0]), got 10 rows of 2'],
    ['flat x not rows of layers[0]', { x: new Float32Array(30), layers: [4, 2] }, 'x: expected 4 columns per row (layers[0]), got a flat array of 30 values (not a multiple of 4)'],
    ['flat x without layers', { x: new Float32Array(20) }, 'x: a flat array needs the column count: give layers (layers[0] = columns per row) or pass rows'],
    ['ragged rows', { x: [...x.slice(0, 3), [1, 2, 3], ...x.slice(4)] }, 'x: row 3 has 3 values, expected 2 like row 0'],
    ['NaN in x', { x: [[0, NaN], ...x.slice(1)] }, 'x: row 0, column 1 is NaN (every value must be a finite number)'],
    ['y too short', { y: [0, 1, 0] }, 'y: expected 10 values (one per row of x), got 3'],
    ['label beyond the outputs', { y: y.map((v) => v * 2), layers: [2, 4, 2] }, 'y: label 2 needs at least 3 outputs, but the model has 2 (layers[2])'],
    ['one class', { y: y.map(() => 0) }, 'y: every label is 0: classification needs at least 2 classes'],
    ['missing y', { y: undefined }, 'y: is required: one target (label or value) per row of x'],
    ['batch 0', { batch: 0 }, 'batch: must be a positive integer, got 0'],
    ['batch undefined is the default 64, larger than the data', {}, 'batch: 64 is larger than the 10 training rows'],
    ['lr', { lr: -1, batch: 5 }, 'lr: must be a positive number, got -1'],
    ['epochs', { epochs: 1.5 }, 'epochs: must be a positive integer, got 1.5'],
    ['shards', { shards: 0 }, 'shards: must be a positive integer, got 0'],
    ['seed', { seed: -2 }, 'seed: must be a non-negative integer, got -2'],
    ['workers', { workers: -1 }, 'workers: must be a non-negative integer (0 = no worker threads), got -1'],
    ['optimizer', { optimizer: 'rmsprop' }, 'optimizer: must be one of sgd, momentum, nesterov, adam, adamw, got "rmsprop"'],
    ['optimizer setting', { optimizer: { kind: 'adam', beta: 0.9 } }, 'optimizer.beta: is not an optimizer setting (momentum, beta1, beta2, eps, weightDecay)'],
    ['schedule', { schedule: 'linear' }, 'schedule: must be constant, step:EVERY:GAMMA or cosine[:MIN_LR], got "linear"'],
    ['init', { init: 'zeros' }, 'init: must be one of glorot, he, uniform, got "zeros"'],
    ['preprocess', { preprocess: 'pca' }, 'preprocess: must be one of none, standardize, minmax, got "pca"'],
    ['kernel', { kernel: 'gpu' }, 'kernel: must be one of auto, native, wasm, reference, got "gpu"'],
    ['valSplit', { valSplit: 1 }, 'valSplit: must be a fraction in [0, 1), got 1'],
    ['earlyStop without validation', { earlyStop: 2, batch: 5 }, 'earlyStop: needs validation rows (valSplit or validation)'],
    ['ce on regression targets', { y: y.map((v) => v + 0.5), loss: 'ce', batch: 5 }, 'loss: ce needs class labels, but y holds regression targets (give integer labels, or task: "classification")'],
    ['a typo', { epoch: 3 }, 'epoch: is not an option (did you mean epochs?)'],
    ['fault text', { fault: 'worker=1,step=0' }, 'fault: step must be a positive integer'],
    ['weightDecay', { weightDecay: -0.1 }, 'weightDecay: must be a non-negative number, got -0.1'],
    ['weightDecay twice', { optimizer: { kind: 'adamw', weightDecay: 0.1 }, weightDecay: 0.2 }, 'weightDecay: give it once: as weightDecay or as optimizer.weightDecay'],
    ['schedule object', { schedule: { kind: 'step', every: 0, gamma: 0.5 } }, 'schedule.every: must be a positive integer, got 0'],
  ];
  it.each(cases)('%s', (_name, change, message) => {
    let error: unknown;
    try {
      new Trainer({ x, y, ...change } as unknown as TrainOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShardgradError);
    expect((error as ShardgradError).message).toBe(message);
    expect((error as ShardgradError).exitCode).toBe(2);
  });

  it('model.export checks its format before it looks for @shardgrad/export', async () => {
    const m = new Model({ spec: mlpSpec([1, 2], 'relu', 'softmax', 'ce'), params: new Float32Array(4), preprocess: { kind: 'none' }, task: 'classification' });
    await expect(m.export('pmml' as 'onnx', 'm.pmml')).rejects.toThrow(expect.objectContaining({ message: 'format: must be one of onnx, tfjs, safetensors, got "pmml"', exitCode: 2 }));
    expect(() => new Model({ spec: mlpSpec([1, 2], 'relu', 'softmax', 'ce'), params: new Float32Array(3), preprocess: { kind: 'none' }, task: 'classification' })).toThrow(
      'params: expected 4 values for layers [1, 2], got 3',
    );
  });

  it('train() rejects with the same error; loadModel of a missing file names it', async () => {
    await expect(train({ x, y, batch: 0 })).rejects.toThrow('batch: must be a positive integer, got 0');
    await expect(loadModel('/nonexistent/m.sgm')).rejects.toThrow(/^\/nonexistent\/m\.sgm: /);
  });
});

describe('TrainingRun checks the rows it is given (what used to end in "the loss is not finite")', () => {
  it.each([
    ['X not rows of D', { X: new Float32Array(7) }, 'rows.X: 7 values are not rows of 2 inputs (layers[0])'],
    ['Y of another N', { Y: new Float32Array(5) }, 'rows.Y: expected 4 rows of 2 outputs (like rows.X: 4 rows of 2), got 5 values'],
    ['a train index past N', { train: Uint32Array.from([0, 1, 2, 3, 9]) }, 'rows.train: row index 9 (at 4) is past the 4 rows of X'],
    ['a val index past N', { val: Uint32Array.from([4]) }, 'rows.val: row index 4 (at 0) is past the 4 rows of X'],
  ])('%s', async (_name, change, message) => {
    const settings = { spec: mlpSpec([2, 2], 'relu', 'softmax', 'ce'), optimizer: optimizerConfig('sgd'), lr: 0.1, schedule: { kind: 'constant' } as const, batch: 2, epochs: 1, shards: 2, seed: 1, init: 'glorot' as const };
    const rows = { X: new Float32Array(8), Y: new Float32Array(8), train: Uint32Array.from([0, 1, 2, 3]), val: new Uint32Array(0), ...change };
    await expect(TrainingRun.create(settings, rows, { workers: 0, kernel: 'reference', engine: nodeEngine(0), evalKernels: referenceKernels })).rejects.toThrow(
      expect.objectContaining({ message, exitCode: 2 }),
    );
  });
});

describe('model.export: the exported files run in their own runtime', () => {
  it("'onnx': onnxruntime-node gives model.predict's outputs within 1e-5 on 200 inputs; 'safetensors' and 'tfjs' are written", async () => {
    const dir = tempDir('api-export');
    const x = Array.from({ length: 200 }, (_, i) => [Math.sin(i) * 2, Math.cos(i * 0.7) * 3, ((i * 13) % 17) / 4]);
    const y = x.map(([a, b, c]) => (a + b * c > 0 ? 1 : 0));
    const model = await train({ x, y, hidden: [8, 6], epochs: 4, batch: 20, workers: 0, seed: 2 });
    const [file] = await model.export('onnx', path.join(dir, 'm.onnx'));
    const session = await ort.InferenceSession.create(file);
    const flat = Float32Array.from(x.flat());
    const got = (await session.run({ input: new ort.Tensor('float32', flat, [x.length, 3]) })).output.data as Float32Array;
    const want = model.predict(x); // (200, 2) class probabilities
    expect(got.length).toBe(want.length);
    expect(want.length).toBe(400);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
    expect(worst).toBeLessThanOrEqual(1e-5);
    const st = await model.export('safetensors', path.join(dir, 'm.safetensors'));
    expect(st).toEqual([path.join(dir, 'm.safetensors')]);
    const tfjs = await model.export('tfjs', path.join(dir, 'web'));
    expect(tfjs.map((f) => path.basename(f)).sort()).toEqual(['model.json', 'weights.bin']);
  });
});
