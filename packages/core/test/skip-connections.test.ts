import CRC32 from 'crc-32';
import { describe, expect, it } from 'vitest';
import {
  allSkips,
  bindWorkspace,
  createWorkspace,
  decodeModelFile,
  encodeModelFile,
  explain,
  forward,
  gradcheck,
  initParams,
  referenceKernels,
  mlpSpec,
  optimizerConfig,
  paramLayout,
  parseExplainNet,
  Rng,
  specLayout,
  trainLocal,
  type Activation,
  type MLPSpec,
} from '../src/index.js';

describe('the flat layout of a network with connections that skip layers', () => {
  it('per target layer: the ordinary W, the skip blocks by source, then b', () => {
    // 2-3-2-1 with 0>2, 0>3, 1>3
    const l = paramLayout([2, 3, 2, 1], [[0, 2], [0, 3], [1, 3]]);
    // layer 1: W0→1 at 0 (6), b1 at 6 (3); layer 2: W1→2 at 9 (6), W0→2 at 15 (4), b2 at 19 (2);
    // layer 3: W2→3 at 21 (2), W0→3 at 23 (2), W1→3 at 25 (3), b3 at 28 (1); P = 29
    expect(l.layers.map((s) => [s.w, s.b])).toEqual([[0, 6], [9, 19], [21, 28]]);
    expect(l.skips.map((s) => [s.from, s.to, s.w, s.nIn, s.nOut])).toEqual([[0, 2, 15, 2, 2], [0, 3, 23, 2, 1], [1, 3, 25, 3, 1]]);
    expect(l.skipsInto).toEqual([[], [0], [1, 2]]);
    expect(l.skipsFrom).toEqual([[0, 1], [2], [], []]);
    expect(l.total).toBe(29);
  });
  it('without skips it is the plain MLP layout, W⁰ b⁰ W¹ b¹', () => {
    const l = paramLayout([2, 3, 2]);
    expect(l.layers.map((s) => [s.w, s.b])).toEqual([[0, 6], [9, 15]]);
    expect(l.total).toBe(17);
    expect(l.skips).toEqual([]);
  });
  it('--skip all connects every layer to every lower one', () => {
    expect(allSkips([4, 3, 3, 2])).toEqual([[0, 2], [0, 3], [1, 3]]);
    expect(allSkips([4, 2])).toEqual([]);
  });
  it('rejects pairs that do not skip upwards, or repeat', () => {
    const spec = (skips: [number, number][]) => () => mlpSpec([2, 2, 2, 1], 'tanh', 'sigmoid', 'mse', skips);
    expect(spec([[2, 1]])).toThrow('skips: 2>1: connections go from a lower layer to a higher one');
    expect(spec([[0, 4]])).toThrow('skips: 0>4: layers are numbered 0 (input) to 3 (output)');
    expect(spec([[1, 2]])).toThrow('skips: 1>2: adjacent layers are always connected');
    expect(spec([[0, 2], [0, 2]])).toThrow('skips: 0>2 is given twice');
    expect(mlpSpec([2, 2, 2, 1], 'tanh', 'sigmoid', 'mse', [[1, 3], [0, 2], [0, 3]]).skips).toEqual([[0, 2], [0, 3], [1, 3]]);
  });
});

describe('gradient check on random skip networks (float64, central differences)', () => {
  const hidden: Activation[] = ['tanh', 'sigmoid', 'relu', 'identity'];
  for (let seed = 1; seed <= 8; seed++) {
    it(`random network ${seed}`, () => {
      const rng = new Rng(seed * 101);
      const L = 2 + rng.int(3); // 2..4 weight layers
      const ce = rng.int(2) === 0;
      const sizes = Array.from({ length: L + 1 }, (_, i) => (i === L && ce ? 2 + rng.int(2) : 1 + rng.int(4)));
      // a random non-empty subset of the skip pairs
      const pool = allSkips(sizes);
      let skips = pool.filter(() => rng.int(2) === 0);
      if (skips.length === 0) skips = [pool[rng.int(pool.length)]];
      const spec = mlpSpec(sizes, hidden[rng.int(hidden.length)], ce ? 'softmax' : 'sigmoid', ce ? 'ce' : 'mse', skips);
      const layout = specLayout(spec);
      const params = new Float64Array(layout.total);
      for (let i = 0; i < params.length; i++) params[i] = rng.uniform(-0.8, 0.8);
      const rows = 5;
      const X = Float64Array.from({ length: rows * sizes[0] }, () => rng.uniform(-1, 1));
      const T = new Float64Array(rows * sizes[L]);
      for (let r = 0; r < rows; r++) {
        if (ce) T[r * sizes[L] + rng.int(sizes[L])] = 1;
        else for (let j = 0; j < sizes[L]; j++) T[r * sizes[L] + j] = rng.uniform(0, 1);
      }
      const result = gradcheck(spec, params, X, T, rows, { floor: 1e-6 });
      expect(result.maxRelativeError).toBeLessThan(1e-5);
      // the skip blocks carry gradient (the check above covers them, not only zeros)
      const skipGrad = layout.skips.reduce((m, s) => Math.max(m, ...Array.from(result.analytic.subarray(s.w, s.w + s.nIn * s.nOut), Math.abs)), 0);
      expect(skipGrad).toBeGreaterThan(0);
    });
  }
  it('a skip weight moves the loss (finite differences alone), and backprop agrees', () => {
    const spec = mlpSpec([2, 2, 1], 'tanh', 'sigmoid', 'mse', [[0, 2]]);
    const P = specLayout(spec).total;
    const params = Float64Array.from({ length: P }, (_, i) => 0.1 * (i + 1) - 0.4);
    const X = Float64Array.from([0.5, -0.3, 0.2, 0.9]);
    const T = Float64Array.from([1, 0]);
    const r = gradcheck(spec, params, X, T, 2);
    const skip = specLayout(spec).skips[0];
    expect(Math.abs(r.numeric[skip.w])).toBeGreaterThan(1e-3);
    expect(r.analytic[skip.w]).toBeCloseTo(r.numeric[skip.w], 9);
  });
});

describe('a 2-2-2-1 network with skips 0>2, 0>3, 1>3, one SGD step (η = 0.5)', () => {
  // Expected numbers: fixtures/skip2221.py, plain Python floats written from the paper's formulas,
  // whose output is pasted below.
  const t = explain(
    parseExplainNet(
      {
        layers: [2, 2, 2, 1],
        activation: 'tanh',
        output: 'sigmoid',
        loss: 'mse',
        weights: [
          [[0.2, -0.4], [0.5, 0.1]],
          [[0.3, 0.7], [-0.6, 0.2]],
          [[0.9], [-0.5]],
        ],
        skips: { '0>2': [[0.15, -0.25], [0.35, 0.05]], '0>3': [[-0.3], [0.4]], '1>3': [[0.6], [-0.2]] },
        biases: [[0.1, -0.2], [0.05, 0.15], [-0.1]],
        input: [0.3, -0.7],
        target: [0.8],
        lr: 0.5,
      },
      'skip2221',
    ),
  );
  const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 12));
  const closeM = (a: number[][], b: number[][]) => a.forEach((r, i) => close(r, b[i]));
  it('forward: v^l sums every incoming block', () => {
    close(t.forward[0].v, [-0.18999999999999997, -0.39]);
    close(t.forward[1].v, [0.016492274965419065, -0.16569438968310127]);
    close(t.forward[2].v, [-0.411436726239491]);
    close(t.forward[2].y, [0.3985676712369505]);
    expect(t.loss).toBeCloseTo(0.16114791457612507, 12);
  });
  it('backward: ∂L/∂y of a layer sums over every layer it feeds', () => {
    close(t.backward[1].dL_dy!, [-0.17321028970348817, 0.09622793872416009]);
    close(t.backward[0].dL_dy!, [-0.10187892758808122, 0.16111581692250607]);
    close(t.backward[0].dL_dv, [-0.09828783416824916, 0.13889658935924018]);
  });
  it('every gradient and the updated weights', () => {
    closeM(t.gradients.weights[0], [[-0.029486350250474747, 0.041668976807772054], [0.06880148391777441, -0.09722761255146813]]);
    closeM(t.gradients.weights[1], [[0.032510731146758495, -0.01757936243459972], [0.0643059201716286, -0.034771813413990514]]);
    closeM(t.gradients.weights[2], [[-0.0031737475068473143], [0.03160019650674073]]);
    closeM(t.gradients.skips!['0>2'], [[-0.05194895576675453, 0.02809009484899946], [0.12121423012242724, -0.06554355464766541]]);
    closeM(t.gradients.skips!['0>3'], [[-0.05773676323449605], [0.13471911421382413]]);
    closeM(t.gradients.skips!['1>3'], [[0.03613286078797382], [0.07147045850538142]]);
    close(t.gradients.biases[1], [-0.17316318588918178, 0.09363364949666488]);
    closeM(t.updated.skips!['1>3'], [[0.5819335696060131], [-0.23573522925269072]]);
    close(t.updated.biases[2], [-0.0037720612758399136]);
  });
  it('network files name a bad skip key or matrix', () => {
    const base = { layers: [2, 1, 1], weights: [[[1], [1]], [[1]]], input: [0, 0], target: [0] };
    expect(() => parseExplainNet({ ...base, skips: { '0-2': [[1], [1]] } }, 'n.json')).toThrow('n.json: skips["0-2"]: expected a key "from>to"');
    expect(() => parseExplainNet({ ...base, skips: { '0>2': [[1]] } }, 'n.json')).toThrow('n.json: skips["0>2"]: expected 2 rows');
    expect(() => parseExplainNet({ ...base, skips: { '1>2': [[1]] } }, 'n.json')).toThrow('n.json: skips: 1>2: adjacent layers are always connected');
  });
});

describe('XOR with one hidden unit and direct input→output connections (the 1986 paper)', () => {
  const X = Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
  const Y = Float32Array.from([0, 1, 1, 0]);
  const train = (spec: MLPSpec) => {
    const { params } = trainLocal({
      spec, X, Y, train: Uint32Array.from([0, 1, 2, 3]), batch: 4, epochs: 3000, lr: 2,
      optimizer: optimizerConfig('sgd'), seed: 3, init: 'glorot',
    });
    const ws = createWorkspace(spec, 4);
    bindWorkspace(ws, params, new Float32Array(params.length));
    ws.x.set(X);
    return Array.from(forward(spec, ws, 4, referenceKernels));
  };
  it('2-1-1 with 0>2 learns all four points from a seeded initialization', () => {
    const out = train(mlpSpec([2, 1, 1], 'sigmoid', 'sigmoid', 'mse', [[0, 2]]));
    expect(out.map((o) => (o > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  });
  it('the same 2-1-1 without the skips cannot: its output is monotone in one projection of x', () => {
    const out = train(mlpSpec([2, 1, 1], 'sigmoid', 'sigmoid', 'mse'));
    expect(out.map((o) => (o > 0.5 ? 1 : 0))).not.toEqual([0, 1, 1, 0]);
  });
});

describe('model files of skip networks', () => {
  const meta = {};
  it('write the skips into the header (version 3), and read them back', () => {
    const spec = mlpSpec([2, 3, 1], 'tanh', 'sigmoid', 'mse', [[0, 2]]);
    const P = specLayout(spec).total;
    expect(P).toBe(2 * 3 + 3 + 3 + 2 + 1);
    const params = Float32Array.from({ length: P }, (_, i) => i / 10);
    const bytes = encodeModelFile({ kind: 'model', spec, tensors: new Map([['params', params]]), preprocess: { kind: 'none' }, meta });
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true)));
    expect(header).toContain('"version":3');
    expect(header).toContain('"skips":[[0,2]]');
    const back = decodeModelFile(bytes, 'm.sgm');
    expect(back.spec.skips).toEqual([[0, 2]]);
    expect(Array.from(back.tensors.get('params')!)).toEqual(Array.from(params));
  });
  it('a network without skips is written without a skips field', () => {
    const spec = mlpSpec([2, 3, 1], 'tanh', 'sigmoid', 'mse');
    const params = new Float32Array(specLayout(spec).total);
    const bytes = encodeModelFile({ kind: 'model', spec, tensors: new Map([['params', params]]), preprocess: { kind: 'none' }, meta });
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true)));
    expect(header).toContain('"version":3');
    expect(header).not.toContain('skips');
    expect(decodeModelFile(bytes, 'm.sgm').spec.skips).toBeUndefined();
  });
  it('skips in a header must be a non-empty list that fits the parameters (headers edited and resealed)', () => {
    const spec = mlpSpec([2, 3, 1], 'tanh', 'sigmoid', 'mse', [[0, 2]]);
    const params = new Float32Array(specLayout(spec).total);
    const bytes = encodeModelFile({ kind: 'model', spec, tensors: new Map([['params', params]]), preprocess: { kind: 'none' }, meta });
    const edit = (from: string, to: string) => {
      const H = new DataView(bytes.buffer).getUint32(8, true);
      const header = new TextDecoder().decode(bytes.subarray(12, 12 + H)).replace(from, to.padEnd(from.length, ' '));
      const out = Uint8Array.from(bytes);
      out.set(new TextEncoder().encode(header), 12);
      // the whole-file checksum written again, as a deliberate editor would: the header checks still apply
      new DataView(out.buffer).setUint32(out.length - 4, CRC32.buf(out.subarray(0, out.length - 4)) >>> 0, true);
      return out;
    };
    expect(() => decodeModelFile(edit('"skips":[[0,2]],', '"skips":[],'), 'm.sgm')).toThrow('m.sgm: header: skips must be a non-empty list');
    expect(() => decodeModelFile(edit('"skips":[[0,2]]', '"skips":[[1,2]]'), 'm.sgm')).toThrow('m.sgm: header: layers: 1>2: adjacent layers');
  });
  it('initParams draws a layer\'s skip blocks with its total fan-in, after the plain blocks of the same seed', () => {
    const plain = mlpSpec([2, 3, 1], 'tanh', 'sigmoid', 'mse');
    const skip = mlpSpec([2, 3, 1], 'tanh', 'sigmoid', 'mse', [[0, 2]]);
    const a = new Float64Array(specLayout(plain).total);
    const b = new Float64Array(specLayout(skip).total);
    initParams(a, specLayout(plain), 'uniform', 5);
    initParams(b, specLayout(skip), 'uniform', 5);
    // the first layer is drawn first in both: identical
    expect(Array.from(b.subarray(0, 6))).toEqual(Array.from(a.subarray(0, 6)));
    expect(Array.from(b.subarray(12, 14)).every((w) => w !== 0 && Math.abs(w) <= 0.1)).toBe(true); // W0→2
  });
});
