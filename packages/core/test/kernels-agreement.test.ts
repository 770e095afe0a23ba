import { describe, expect, it } from 'vitest';
import {
  accumulateGradient,
  activation_backward,
  activation_forward,
  bindWorkspace,
  createWorkspace,
  enableRelaxedSimd,
  initParams,
  loadKernels,
  loadWasmKernels,
  mlpSpec,
  optimizerConfig,
  optimizerStep,
  paramLayout,
  referenceKernels,
  Rng,
  ShardgradError,
  stateSlots,
  type Kernels,
  type OptimizerKind,
} from '../src/index.js';
import { rand } from './kernels-suite.js';

const built = (flavor: string) => new URL(`../dist/kernels/shardgrad-kernels-${flavor}.wasm`, import.meta.url);
await enableRelaxedSimd();
const fast: Kernels[] = [
  await loadWasmKernels({ flavor: 'simd', source: built('simd') }),
  await loadWasmKernels({ flavor: 'relaxed', source: built('relaxed') }),
];

/**
 * max|a − b| / max|b|: the two kernels sum in different orders, so they differ by float32
 * rounding (~1e-7 of the largest term); a wrong index or a lost block differs by O(1).
 */
function relDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale; // all-zero expected (e.g. a ReLU mask of zeros): absolute
}

for (const kernels of fast) {
  describe(`${kernels.name} agrees with the reference kernels`, () => {
    it('on 40 random shapes up to 300 (relative 1e-5)', () => {
      const rng = new Rng(2026);
      for (let trial = 0; trial < 40; trial++) {
        const [m, k, n] = [0, 0, 0].map(() => 1 + Math.floor(rng.next() * 300));
        const y = rand(m * k, rng), W = rand(k * n, rng), b = rand(n, rng), dv = rand(m * n, rng);
        const v = [new Float32Array(m * n), new Float32Array(m * n)];
        referenceKernels.gemmBias(v[0], y, W, b, m, k, n);
        kernels.gemmBias(v[1], y, W, b, m, k, n);
        expect(relDiff(v[1], v[0]), `gemmBias ${m}×${k}×${n}`).toBeLessThan(1e-5);
        const dy = [new Float32Array(m * k), new Float32Array(m * k)];
        referenceKernels.gemmNT(dy[0], dv, W, m, n, k);
        kernels.gemmNT(dy[1], dv, W, m, n, k);
        expect(relDiff(dy[1], dy[0]), `gemmNT ${m}×${k}×${n}`).toBeLessThan(1e-5);
        const dW = [rand(k * n, rng), new Float32Array(k * n)];
        dW[1].set(dW[0]);
        const db = [rand(n, rng), new Float32Array(n)];
        db[1].set(db[0]);
        referenceKernels.gemmTNAcc(dW[0], db[0], y, dv, m, k, n);
        kernels.gemmTNAcc(dW[1], db[1], y, dv, m, k, n);
        expect(relDiff(dW[1], dW[0]), `gemmTNAcc dW ${m}×${k}×${n}`).toBeLessThan(1e-5);
        expect(relDiff(db[1], db[0]), `gemmTNAcc db ${m}×${k}×${n}`).toBeLessThan(1e-5);
      }
    });

    it('writes only the rows it is given: a workspace larger than the chunk keeps its tail', () => {
      const rng = new Rng(5);
      const [m, k, n] = [3, 5, 7];
      const y = rand(10 * k, rng), W = rand(k * n, rng), b = rand(n, rng);
      const v = new Float32Array(10 * n).fill(42);
      kernels.gemmBias(v, y, W, b, m, k, n);
      expect(Array.from(v.subarray(m * n))).toEqual(new Array((10 - m) * n).fill(42));
    });

    it('hands float64 operands (gradient checks) to the reference loops, bit for bit', () => {
      const y = Float64Array.from([1, 2, 3, 4, 5, 6]); // (2, 3)
      const W = Float64Array.from([1, 0, 0, 1, 1, 1]); // (3, 2)
      const b = Float64Array.from([0.5, -0.5]);
      const v = new Float64Array(4);
      kernels.gemmBias(v, y, W, b, 2, 3, 2);
      // by hand: row 1 = (1 + 3 + 0.5, 2 + 3 − 0.5), row 2 = (4 + 6 + 0.5, 5 + 6 − 0.5)
      expect(Array.from(v)).toEqual([4.5, 4.5, 10.5, 10.5]);
    });

    it('fuses ReLU and identity into the products exactly as gemm + activations.ts compute them', () => {
      const rng = new Rng(77);
      for (const act of ['relu', 'identity'] as const) {
        for (const [m, k, n] of [[1, 1, 1], [7, 13, 9], [37, 50, 21], [64, 784, 128]]) {
          const y = rand(m * k, rng), W = rand(k * n, rng), b = rand(n, rng), dv = rand(m * n, rng);
          const vBelow = rand(m * k, rng);
          vBelow[0] = 0; // g'(0) = 0 for ReLU, as the lecture's convention in activations.ts
          const ref = { v: new Float32Array(m * n), out: new Float32Array(m * n), dy: new Float32Array(m * k), dvb: new Float32Array(m * k) };
          referenceKernels.gemmBias(ref.v, y, W, b, m, k, n);
          activation_forward(act, ref.out, ref.v, m, n);
          referenceKernels.gemmNT(ref.dy, dv, W, m, n, k);
          activation_backward(act, ref.dvb, ref.dy, vBelow, vBelow, m * k);
          const v = new Float32Array(m * n), out = new Float32Array(m * n), dvb = new Float32Array(m * k);
          expect(kernels.denseForward!(v, out, y, W, b, m, k, n, act)).toBe(true);
          expect(kernels.denseBackwardInput!(dvb, dv, W, vBelow, m, n, k, act)).toBe(true);
          expect(relDiff(v, ref.v), `${act} v ${m}×${k}×${n}`).toBeLessThan(1e-5);
          expect(relDiff(out, ref.out), `${act} g(v) ${m}×${k}×${n}`).toBeLessThan(1e-5);
          expect(relDiff(dvb, ref.dvb), `${act} dv below ${m}×${k}×${n}`).toBeLessThan(1e-5);
          // the ReLU mask is exact: zero wherever v below ≤ 0, whatever the product
          for (let i = 0; i < m * k; i++) if (act === 'relu' && vBelow[i] <= 0) expect(dvb[i]).toBe(0);
        }
      }
    });

    it('declines to fuse other activations or float64, writing nothing', () => {
      const out = new Float32Array(4).fill(9);
      const one = Float32Array.of(1);
      expect(kernels.denseForward!(out, out, one, one, one, 1, 1, 1, 'sigmoid')).toBe(false);
      expect(kernels.denseBackwardInput!(out, one, one, one, 1, 1, 1, 'tanh')).toBe(false);
      const d = Float64Array.of(1);
      expect(kernels.denseForward!(d, d, d, d, d, 1, 1, 1, 'relu')).toBe(false);
      expect(Array.from(out)).toEqual([9, 9, 9, 9]);
      expect(d[0]).toBe(1);
    });

    for (const [kind, hidden] of [['sgd', 'tanh'], ['adam', 'tanh'], ['sgd', 'relu'], ['momentum', 'relu']] as [OptimizerKind, 'tanh' | 'relu'][]) {
      it(`a full training step (accumulateGradient in chunks + ${kind}, ${hidden} hidden) gives the reference's parameters`, () => {
        // odd sizes, a batch of 37 processed in chunks of 16 rows (16 + 16 + 5); ReLU takes the fused path
        const spec = mlpSpec([23, 17, 9, 3], hidden, 'softmax', 'ce');
        const P = paramLayout(spec.sizes).total;
        const N = 50;
        const rng = new Rng(11);
        const X = rand(N * 23, rng);
        const Y = new Float32Array(N * 3);
        for (let i = 0; i < N; i++) Y[i * 3 + (i % 3)] = 1;
        const order = Uint32Array.from({ length: N }, (_, i) => (i * 7) % N);
        const opt = optimizerConfig(kind);
        const run = (k: Kernels) => {
          const params = new Float32Array(P);
          initParams(params, paramLayout(spec.sizes), 'glorot', 3);
          const grad = new Float32Array(P);
          const state = new Float32Array(stateSlots(kind) * P);
          const ws = createWorkspace(spec, 16);
          bindWorkspace(ws, params, grad);
          let loss = 0;
          for (let step = 0; step < 3; step++) {
            grad.fill(0);
            loss = accumulateGradient(spec, ws, X, Y, order, 5, 42, k);
            for (let i = 0; i < P; i++) grad[i] /= 37;
            optimizerStep(opt, params, grad, state, P, 0, P, 0.1, step + 1);
          }
          return { params, grad, loss };
        };
        const ref = run(referenceKernels);
        const got = run(kernels);
        expect(relDiff(got.grad, ref.grad)).toBeLessThan(1e-5);
        expect(relDiff(got.params, ref.params)).toBeLessThan(1e-5);
        expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
      });
    }
  });
}

describe('loadKernels', () => {
  it('fetches the module over HTTP, as a browser does (and names a failed fetch)', async () => {
    const { createServer } = await import('node:http');
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(built('simd'));
    const server = createServer((req, res) => {
      if (req.url === '/k.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const k = await loadWasmKernels({ flavor: 'simd', source: `http://127.0.0.1:${port}/k.wasm` });
      const v = new Float32Array(2);
      // (1, 2)·[[1, 2], [3, 4]] + (0.5, −1) = (1 + 6 + 0.5, 2 + 8 − 1) by hand
      k.gemmBias(v, Float32Array.of(1, 2), Float32Array.of(1, 2, 3, 4), Float32Array.of(0.5, -1), 1, 2, 2);
      expect(Array.from(v)).toEqual([7.5, 9]);
      await expect(loadWasmKernels({ flavor: 'simd', source: `http://127.0.0.1:${port}/missing.wasm` })).rejects.toThrow(/could not be fetched \(HTTP 404\)/);
    } finally {
      server.close();
    }
  });

  it("'reference' is the plain loops", async () => {
    expect(await loadKernels('reference')).toBe(referenceKernels);
  });
  it('an unknown choice or a missing .wasm is a ShardgradError naming the problem', async () => {
    await expect(loadKernels('gpu' as 'wasm')).rejects.toThrow(ShardgradError);
    await expect(loadKernels('gpu' as 'wasm')).rejects.toThrow(/unknown kernels "gpu"/);
    await expect(loadWasmKernels({ flavor: 'simd', source: new URL('./no-such.wasm', import.meta.url) })).rejects.toThrow(/not found: run `pnpm build`/);
  });
});
