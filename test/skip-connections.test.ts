import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { saveModel, Trainer } from '@shardgrad/coordinator';
import { allSkips, decodeModelFile, deriveSeed, initParams, SEED_STREAM, encodeModelFile, mlpSpec, specLayout, type MLPSpec } from '@shardgrad/core';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';
import { mnistSlice, smallConfig, trainLocalOf } from './fixtures/train-fixtures.js';

const dir = tempDir('skip');

describe('the engine on a network with connections that skip layers', () => {
  // 784-16-8-10 with every skip (0>2, 0>3, 1>3); 16 virtual shards of 3–4 samples, the short last batch too
  const spec = mlpSpec([784, 16, 8, 10], 'relu', 'softmax', 'ce', allSkips([784, 16, 8, 10]));
  const config = smallConfig({ data: mnistSlice(610, 100), spec });

  for (const kernel of ['reference', 'wasm'] as const) {
    it(`workers 0, 1, 2 and 3 save byte-identical model files (${kernel} kernels)`, async () => {
      const files: Buffer[] = [];
      for (const workers of [0, 1, 2, 3]) {
        const result = await new Trainer({ ...config, kernel, workers }).run();
        expect(result.steps).toBe(26);
        const file = path.join(dir, `${kernel}-w${workers}.sgm`);
        saveModel(file, result);
        files.push(readFileSync(file));
      }
      for (const f of files.slice(1)) expect(Buffer.compare(f, files[0])).toBe(0);
      // the skip blocks were trained (they moved away from their initial values), and saved as version 2
      const saved = decodeModelFile(files[0], 'w0');
      expect(saved.spec.skips).toEqual([[0, 2], [0, 3], [1, 3]]);
      const s = specLayout(spec).skips[2]; // W1→3, 16×10
      const init = new Float32Array(specLayout(spec).total);
      initParams(init, specLayout(spec), config.init, deriveSeed(config.seed, SEED_STREAM.init));
      const trained = saved.tensors.get('params')!.subarray(s.w, s.w + 16 * 10);
      expect(trained.some((w, i) => w !== init[s.w + i])).toBe(true);
    });
  }

  it("with one shard and no workers it is exactly core's single-threaded trainLocal", async () => {
    const c = { ...config, shards: 1, workers: 0 };
    const ours = await new Trainer(c).run();
    const plain = trainLocalOf(c);
    expect(Buffer.compare(Buffer.from(ours.params.buffer), Buffer.from(plain.params.buffer))).toBe(0);
  });
});

describe('shardgrad explain --net with skips', () => {
  it('--json matches the independent derivation (packages/core/test/fixtures/skip2221.py) to 1e-9', () => {
    const net = {
      layers: [2, 2, 2, 1], activation: 'tanh', output: 'sigmoid', loss: 'mse',
      weights: [[[0.2, -0.4], [0.5, 0.1]], [[0.3, 0.7], [-0.6, 0.2]], [[0.9], [-0.5]]],
      skips: { '0>2': [[0.15, -0.25], [0.35, 0.05]], '0>3': [[-0.3], [0.4]], '1>3': [[0.6], [-0.2]] },
      biases: [[0.1, -0.2], [0.05, 0.15], [-0.1]],
      input: [0.3, -0.7], target: [0.8], lr: 0.5,
    };
    const file = path.join(dir, 'skip2221.json');
    writeFileSync(file, JSON.stringify(net));
    const r = runCli(['explain', '--net', file, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout);
    const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9);
    const nearV = (a: number[], b: number[]) => { expect(a).toHaveLength(b.length); a.forEach((x, i) => near(x, b[i])); };
    const nearM = (a: number[][], b: number[][]) => { expect(a).toHaveLength(b.length); a.forEach((row, i) => nearV(row, b[i])); };
    nearV(t.forward[1].v, [0.016492274965419065, -0.16569438968310127]);
    nearV(t.forward[2].y, [0.3985676712369505]);
    near(t.loss, 0.16114791457612507);
    nearV(t.backward[0].dL_dy, [-0.10187892758808122, 0.16111581692250607]);
    nearV(t.backward[1].dL_dv, [-0.17316318588918178, 0.09363364949666488]);
    nearM(t.gradients.weights[0], [[-0.029486350250474747, 0.041668976807772054], [0.06880148391777441, -0.09722761255146813]]);
    nearM(t.gradients.skips['0>2'], [[-0.05194895576675453, 0.02809009484899946], [0.12121423012242724, -0.06554355464766541]]);
    nearM(t.gradients.skips['0>3'], [[-0.05773676323449605], [0.13471911421382413]]);
    nearM(t.gradients.skips['1>3'], [[0.03613286078797382], [0.07147045850538142]]);
    nearM(t.updated.weights[2], [[0.9015868737534237], [-0.5158000982533704]]);
    nearM(t.updated.skips['0>2'], [[0.17597447788337725, -0.26404504742449975], [0.28939288493878634, 0.0827717773238327]]);
    nearV(t.updated.biases[0], [0.14914391708412458, -0.2694482946796201]);
  });

  it('the text trace prints the paper\'s equation and each skip block', () => {
    const net = { layers: [2, 1, 1], weights: [[[1], [1]], [[1]]], skips: { '0>2': [[0.5], [-0.5]] }, input: [1, 0], target: [1] };
    const file = path.join(dir, 'xor211.json');
    writeFileSync(file, JSON.stringify(net));
    const r = runCli(['explain', '--net', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Network 2-1-1 with connections that skip layers: 0>2');
    expect(r.stdout).toContain('v^l = Σ_k y^k·W^{k→l} + b^l');
    expect(r.stdout).toContain('∂L/∂W0→2 = (y⁰)ᵀ·∂L/∂v =');
    expect(r.stdout).toContain('W0→2 =');
  });
});

describe('predict and eval on a skip network', () => {
  // 2-1-2, identity hidden, softmax output, skip 0>2. Flat layout (layer 1: W0→1, b1; layer 2:
  // W1→2, W0→2, b2): W0→1 = (1, 1)ᵀ, b1 = 0, W1→2 = (1, 0), W0→2 = [[0, 0], [0, 3]], b2 = 0, so
  // v² = (x0 + x1, 3·x1). Rows (x0, x1, label) and cross-entropy ln Σe^v − v_label:
  //   (1,0,0): v = (1,0): ln(1+e^−1) = 0.3132616875   (0,1,1): v = (1,3): ln(1+e^−2) = 0.1269280110
  //   (2,1,0): v = (3,3): ln 2        = 0.6931471806   (0,2,1): v = (2,6): ln(1+e^−4) = 0.0181499279
  // mean 0.2878717017597376 (plain Python), accuracy 4/4 (ties go to the first class). Without the
  // skip block v² = (x0 + x1, 0): every row class 0.
  const spec: MLPSpec = { sizes: [2, 1, 2], activations: ['identity', 'softmax'], loss: 'ce', skips: [[0, 2]] };
  const file = path.join(dir, 'skip212.sgm');
  writeFileSync(file, encodeModelFile({ kind: 'model', spec, tensors: new Map([['params', Float32Array.from([1, 1, 0, 1, 0, 0, 0, 0, 3, 0, 0])]]), preprocess: { kind: 'none' }, meta: {} }));
  it('eval: loss and accuracy worked out by hand', () => {
    const csv = path.join(dir, 'skip4.csv');
    writeFileSync(csv, 'x0,x1,label\n1,0,0\n0,1,1\n2,1,0\n0,2,1\n');
    const r = runCli(['eval', '--model', file, '--data', `csv:${csv}`, '--split', 'all', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [out] = jsonLines(r.stdout);
    expect(out.loss as number).toBeCloseTo(0.2878717017597376, 6);
    expect(out.accuracy).toBe(1);
  });
  it('predict: one class per row', () => {
    const r = runCli(['predict', '--model', file, '--input', '-'], { input: '1,0\n0,1\n2,1\n0,2\n' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('0\n1\n0\n1\n');
  });
});

describe('shardgrad gradcheck with skips', () => {
  it('--skip all on a 2-3-3-2 network passes, the skip blocks listed per layer', () => {
    const r = runCli(['gradcheck', '--layers', '2,3,3,2', '--skip', 'all', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [out] = jsonLines(r.stdout);
    expect(out.skips).toEqual([[0, 2], [0, 3], [1, 3]]);
    expect(out.ok).toBe(true);
    expect(out.maxRelativeError as number).toBeLessThan(1e-6);
    const text = runCli(['gradcheck', '--layers', '2,3,3,2', '--connect', '0>3']);
    expect(text.stdout).toContain('gradcheck 2-3-3-2 with skips 0>3');
    expect(text.stdout).toContain('layer 3 (W 3×2 + W0→3 2×2, b 2)');
  });
});

describe('shardgrad train with --connect and --skip', () => {
  it('trains a 2-1-2 xor net with 0>2 and saves a version 2 file that eval reads', () => {
    const out = path.join(dir, 'xor.sgm');
    const r = runCli(['train', '--data', 'xor:200', '--layers', '2,1,2', '--connect', '0>2', '--activation', 'tanh', '--epochs', '2', '--batch', '16', '--workers', '1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const m = decodeModelFile(readFileSync(out), out);
    expect(m.spec.skips).toEqual([[0, 2]]);
    expect(m.tensors.get('params')!.length).toBe(2 + 1 + 2 + 4 + 2);
    expect(runCli(['eval', '--model', out, '--data', 'xor:200']).status).toBe(0);
  });
  it('every mistake is one line naming the flag, exit 2', () => {
    const train = (...a: string[]) => runCli(['train', '--data', 'xor:40', '--layers', '2,3,2', ...a]);
    expectOneLineError(train('--connect', '2>1'), '--connect: 2>1: connections go from a lower layer to a higher one');
    expectOneLineError(train('--connect', '0>9'), '--connect: 0>9: layers are numbered 0 (input) to 2 (output)');
    expectOneLineError(train('--connect', '0>2,0>2'), '--connect: 0>2 is given twice');
    expectOneLineError(train('--connect', '0>2', '--connect', '0>2'), '--connect: 0>2 is given twice');
    expectOneLineError(train('--connect', '1>2'), '--connect: 1>2: adjacent layers are always connected');
    expectOneLineError(train('--connect', 'a>b'), '--connect: expected FROM>TO layer numbers such as 0>2, got "a>b"');
    expectOneLineError(train('--skip', 'some'), '--skip: the one value is "all", got "some"');
    expectOneLineError(train('--skip', 'all', '--connect', '0>2'), '--connect: cannot be combined with --skip all');
  });
});

/**
 * An independent 2-3-2 tanh / softmax / cross-entropy network with the input also wired to the
 * output (0>2), forward and backward in plain float64 JavaScript (not core's code): the mean
 * gradient over `rows` in the documented flat layout W1 (0..5), b1 (6..8), W2 (9..14), W0→2 (15..18), b2 (19, 20).
 */
function meanGradientSkip(params: number[], inputs: number[][], targets: number[][], rows: number[]): number[] {
  const g = new Array<number>(params.length).fill(0);
  const W1 = (i: number, j: number) => params[i * 3 + j];
  const b1 = (j: number) => params[6 + j];
  const W2 = (i: number, k: number) => params[9 + i * 2 + k];
  const S = (i: number, k: number) => params[15 + i * 2 + k];
  const b2 = (k: number) => params[19 + k];
  for (const r of rows) {
    const x = inputs[r];
    const h = [0, 1, 2].map((j) => Math.tanh(x[0] * W1(0, j) + x[1] * W1(1, j) + b1(j)));
    const z = [0, 1].map((k) => h[0] * W2(0, k) + h[1] * W2(1, k) + h[2] * W2(2, k) + x[0] * S(0, k) + x[1] * S(1, k) + b2(k));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const p = e.map((v) => v / (e[0] + e[1]));
    const dz = p.map((v, k) => v - targets[r][k]);
    for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) g[9 + i * 2 + k] += h[i] * dz[k];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) g[15 + i * 2 + k] += x[i] * dz[k];
    for (let k = 0; k < 2; k++) g[19 + k] += dz[k];
    const dv = [0, 1, 2].map((j) => (dz[0] * W2(j, 0) + dz[1] * W2(j, 1)) * (1 - h[j] * h[j]));
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) g[i * 3 + j] += x[i] * dv[j];
    for (let j = 0; j < 3; j++) g[6 + j] += dv[j];
  }
  return g.map((v) => v / rows.length);
}

describe('shardgrad explain --batch --skip all', () => {
  it('5 samples over 2 workers: shard gradients, their weighted average and the full batch agree with an independent pass', () => {
    const r = runCli(['explain', '--batch', '--skip', 'all', '--samples', '5', '--workers', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const t = jsonLines(r.stdout)[0] as unknown as {
      skips: number[][]; params: number[]; inputs: number[][]; targets: number[][]; names: string[];
      shards: { size: number; samples: [number, number]; meanGradient: number[] }[]; average: number[]; fullBatch: number[];
    };
    expect(t.skips).toEqual([[0, 2]]);
    expect(t.names).toHaveLength(21); // 2·3 + 3 + 3·2 + 2·2 + 2
    expect(t.names.slice(15, 19)).toEqual(['W0→2[0][0]', 'W0→2[0][1]', 'W0→2[1][0]', 'W0→2[1][1]']);
    const all = [0, 1, 2, 3, 4];
    const full = meanGradientSkip(t.params, t.inputs, t.targets, all);
    for (let i = 0; i < 21; i++) {
      expect(t.fullBatch[i]).toBeCloseTo(full[i], 6);
      expect(t.average[i]).toBeCloseTo(full[i], 6);
    }
    expect(Math.max(...full.slice(15, 19).map(Math.abs))).toBeGreaterThan(1e-3); // the skip block has gradient
    for (const sh of t.shards) {
      const own = meanGradientSkip(t.params, t.inputs, t.targets, all.slice(sh.samples[0], sh.samples[1]));
      own.forEach((v, i) => expect(sh.meanGradient[i]).toBeCloseTo(v, 6));
    }
  });
  it('prints the paper\'s equation; --skip without --batch is a one-line error', () => {
    const r = runCli(['explain', '--batch', '--skip', 'all']);
    expect(r.stdout).toContain('Network 2-3-2 with the skip connection 0>2 (v^l = Σ_k y^k·W^{k→l} + b^l)');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('W0→2['))).toHaveLength(4);
    expectOneLineError(runCli(['explain', '--skip', 'all']), '--skip: only with --batch (a --net file lists its own "skips")');
  });
});
