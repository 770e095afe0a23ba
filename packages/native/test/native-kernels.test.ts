// The native kernels: the shared kernel suite (index definitions in float64), bit-for-bit agreement
// with the WebAssembly relaxed build on every tile edge and on random shapes (for each instruction
// set this CPU runs), work in place on shared memory, from many worker threads at once.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd, loadResidentWasmKernels, loadWasmKernels, referenceKernels, Rng, type Kernels } from '@shardgrad/core';
import { loadNativeKernels, nativeIsas, nativeUnavailableReason } from '../src/index.js';
import { kernelSuite, rand } from '../../core/test/kernels-suite.js';

const relaxed = (await enableRelaxedSimd()) ? await loadWasmKernels({ flavor: 'relaxed', source: new URL('../../core/dist/kernels/shardgrad-kernels-relaxed.wasm', import.meta.url) }) : undefined;
const hasCompiler = spawnSync(process.env.CC || 'cc', ['--version']).status === 0;
const isas = nativeIsas();

it('the addon was built and loads wherever a C compiler is installed (x86-64 with AVX2 or AVX-512)', () => {
  expect(relaxed).toBeDefined();
  if (hasCompiler && process.arch === 'x64') {
    expect(nativeUnavailableReason()).toBeUndefined();
    expect(isas.length).toBeGreaterThan(0);
  }
});

/** Every bit equal (Object.is: -0 and NaN count), else the first index that differs. */
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string) {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  let first = -1;
  for (let i = 0; i < a.length && first < 0; i++) if (a[i] !== e[i]) first = i;
  expect(first, `${what}: first differing element ${first}: ${actual[first]} vs ${expected[first]}`).toBe(-1);
}

/** Runs all five entry points on both kernels with the same operands and compares every output. */
function compareAll(native: Kernels, wasm: Kernels, m: number, k: number, n: number, rng: Rng) {
  const y = rand(m * k, rng), W = rand(k * n, rng), b = rand(n, rng), dv = rand(m * n, rng), vBelow = rand(m * k, rng);
  const shape = `m=${m} k=${k} n=${n}`;
  const pair = (len: number) => [new Float32Array(len), new Float32Array(len)];
  const [v1, v2] = pair(m * n);
  native.gemmBias(v1, y, W, b, m, k, n);
  wasm.gemmBias(v2, y, W, b, m, k, n);
  expectSameBits(v1, v2, `gemmBias ${shape}`);
  const [d1, d2] = pair(m * k);
  native.gemmNT(d1, dv, W, m, n, k);
  wasm.gemmNT(d2, dv, W, m, n, k);
  expectSameBits(d1, d2, `gemmNT ${shape}`);
  const dW1 = rand(k * n, rng), dW2 = dW1.slice(), db1 = rand(n, rng), db2 = db1.slice();
  native.gemmTNAcc(dW1, db1, y, dv, m, k, n);
  wasm.gemmTNAcc(dW2, db2, y, dv, m, k, n);
  expectSameBits(dW1, dW2, `gemmTNAcc dW ${shape}`);
  expectSameBits(db1, db2, `gemmTNAcc db ${shape}`);
  for (const act of ['identity', 'relu']) {
    const [o1, o2] = pair(m * n);
    expect(native.denseForward!(v1, o1, y, W, b, m, k, n, act)).toBe(true);
    expect(wasm.denseForward!(v2, o2, y, W, b, m, k, n, act)).toBe(true);
    expectSameBits(v1, v2, `denseForward v ${act} ${shape}`);
    expectSameBits(o1, o2, `denseForward g(v) ${act} ${shape}`);
    expect(native.denseBackwardInput!(d1, dv, W, vBelow, m, n, k, act)).toBe(true);
    expect(wasm.denseBackwardInput!(d2, dv, W, vBelow, m, n, k, act)).toBe(true);
    expectSameBits(d1, d2, `denseBackwardInput ${act} ${shape}`);
  }
}

for (const isa of isas) {
  const native = loadNativeKernels(relaxed ?? referenceKernels, { isa });

  kernelSuite(native);

  describe(`${native.name} gives the bits of wasm-relaxed`, () => {
    // rows: every remainder of the 8- and 6-row tiles; columns: every remainder of the 32- and
    // 16-column panels and vectors; reductions: shorter and longer than the 256-long K block
    const ms = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 255, 256];
    const ns = [1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 63, 64, 65];
    const ks = [1, 5, 255, 256, 257, 600];
    it('every tile edge: rows × columns, short and blocked reductions', () => {
      const rng = new Rng(10);
      for (const m of ms) for (const n of ns) compareAll(native, relaxed!, m, 1 + rng.int(40), n, rng);
      for (const k of ks) for (const n of [10, 33, 128]) compareAll(native, relaxed!, 9, k, n, rng);
      for (const m of [300, 513]) compareAll(native, relaxed!, m, 20, 13, rng); // m is the reduction of gemmTNAcc: longer than a K block
      compareAll(native, relaxed!, 256, 784, 256, rng);
      compareAll(native, relaxed!, 16, 1030, 1100, rng); // more than one NC column block
    });

    it('60 random shapes', () => {
      const rng = new Rng(11);
      for (let t = 0; t < 60; t++) compareAll(native, relaxed!, 1 + rng.int(80), 1 + rng.int(700), 1 + rng.int(150), rng);
    });

    it('empty shapes leave outputs as the definitions say (k = 0: v = b; m = 0: dW unchanged)', () => {
      const rng = new Rng(12);
      for (const [m, k, n] of [[0, 3, 4], [3, 0, 4], [3, 4, 0]]) compareAll(native, relaxed!, m, k, n, rng);
    });

    it('ReLU and ReLU′ on −0, +0, NaN and ±∞ as activations.ts: g = v > 0 ? v : 0, g′ = 1 only for v > 0', () => {
      const n = 16;
      const y = new Float32Array([1]);
      const b = new Float32Array([-0, 0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 2, -2, 0.5, -0.5, 3, -3, 4, -4, 5]);
      const W = new Float32Array(n); // v = b exactly
      const run = (kernels: Kernels) => {
        const v = new Float32Array(n), out = new Float32Array(n), d = new Float32Array(n);
        kernels.denseForward!(v, out, y, W, b, 1, 1, n, 'relu');
        kernels.denseBackwardInput!(d, new Float32Array([-7]), new Float32Array(n).fill(1), b, 1, 1, n, 'relu');
        return { out, d };
      };
      const a = run(native), e = run(relaxed!);
      expectSameBits(a.out, e.out, 'relu');
      expectSameBits(a.d, e.d, "relu'");
      expect(Array.from(a.out.slice(0, 6))).toEqual([0, 0, 0, Infinity, 0, 1e-45].map(Math.fround));
      expect(Object.is(a.out[0], 0)).toBe(true); // +0, not -0
    });
  });

  it(`${native.name}: gatherRows copies the rows the order names, NaN and −0 included, and refuses indices past X or the order`, () => {
    const n0 = 5, nL = 3, N = 7;
    // X(i, j) = 10·i + j, with a NaN and a −0 in row 6; Y(i, c) = −i − c/10
    const X = Float32Array.from({ length: N * n0 }, (_, e) => 10 * Math.floor(e / n0) + (e % n0));
    X[6 * n0 + 1] = NaN;
    X[6 * n0 + 2] = -0;
    const Y = Float32Array.from({ length: N * nL }, (_, e) => -Math.floor(e / nL) - (e % nL) / 10);
    const order = new Uint32Array([3, 6, 0, 6, 2]);
    const x = new Float32Array(3 * n0).fill(99), t = new Float32Array(3 * nL).fill(99);
    expect(native.gatherRows!(x, t, X, Y, order, 1, 3, n0, nL)).toBe(true);
    // rows 6, 0, 6
    expect(Array.from(x)).toEqual([60, NaN, -0, 63, 64, 0, 1, 2, 3, 4, 60, NaN, -0, 63, 64]);
    expect(Object.is(x[2], -0)).toBe(true);
    expect(Array.from(t)).toEqual([-6, -6.1, -6.2, -0, -0.1, -0.2, -6, -6.1, -6.2].map(Math.fround)); // row 0: −0 − 0/10 = −0
    const before = Float32Array.from(x);
    expect(() => native.gatherRows!(x, t, X, Y, new Uint32Array([1, 7]), 0, 2, n0, nL)).toThrow(/past X or Y/);
    expect(() => native.gatherRows!(x, t, X, Y, order, 4, 2, n0, nL)).toThrow(/past the order/);
    expect(Array.from(x)).toEqual(Array.from(before)); // nothing written
    // what it cannot take (a float64 destination) it declines, for the plain copy
    expect(native.gatherRows!(new Float64Array(3 * n0), t, X, Y, order, 0, 3, n0, nL)).toBe(false);
  });

  it(`${native.name}: reduction-tree leaves through 0–4 pending levels (the destination one of them) give wasm's bits`, async () => {
    // wasm's tree leaf works on operands resident in its memory, the pending buffers at equal distances from dW and db
    const { kernels: wasm, allocate } = await loadResidentWasmKernels(6_000_000, 1_000_000, { flavor: 'relaxed' });
    const rng = new Rng(15);
    const fill = (a: Float32Array) => (a.set(rand(a.length, rng)), a);
    for (const [m, k, n] of [[1, 1, 1], [16, 784, 256], [3, 17, 5], [9, 33, 47], [0, 4, 8], [300, 9, 10], [513, 20, 40]]) {
      const y = fill(allocate(m * k));
      const dv = fill(allocate(m * n));
      for (let levels = 0; levels <= 4; levels++) {
        const slots = Array.from({ length: levels + 1 }, () => fill(allocate(k * n + n)));
        const copies = slots.map((x) => Float32Array.from(x));
        const run = (kernels: Kernels, s: Float32Array[]) => {
          const pend = s.slice(1).reverse(); // innermost first; the outermost is the destination
          const dst = levels === 0 ? s[0] : s[1];
          return kernels.gemmTNTree!(dst.subarray(0, k * n), dst.subarray(k * n), y, dv, m, k, n, pend.map((x) => x.subarray(0, k * n)), pend.map((x) => x.subarray(k * n)));
        };
        expect(run(wasm, slots)).toBe(true);
        const mine = copies.map((x) => new Float32Array(x));
        expect(run(native, mine)).toBe(true);
        for (let i = 0; i < slots.length; i++) expectSameBits(mine[i], slots[i], `tree leaf m=${m} k=${k} n=${n} levels ${levels} slot ${i}`);
      }
    }
  });

  it(`${native.name}: all of a worker's leaves in one call (pairs, lone and empty leaves, chains of 0–2 pending slots) publish wasm's bits`, async () => {
    const { kernels: wasm, allocate } = await loadResidentWasmKernels(4_000_000, 1_000_000, { flavor: 'relaxed' });
    const rng = new Rng(16);
    // plan: nGroups, nSlots, (rowsL, rowsR = -1 for a lone leaf) per group, then per group dst, count, adds…, then nPub, pub…
    const plans = [
      [2, 1, 3, 2, 4, 4, 0, 0, 0, 1, 0, 1, 0], // ((0,1), (2,3)): the root in slot 0
      [4, 3, 1, 1, 5, -1, 0, 3, 2, 2, 0, 0, 1, 0, 2, 0, 2, 1, 0, 2, 2, 1, 0, 1, 2], // a pair, a lone leaf, an empty leaf, a chain of two
      [1, 2, 7, -1, 1, 0, 1, 1], // one lone leaf into slot 1 of 2, published alone
    ];
    for (const [k, n] of [[13, 37], [100, 70], [8, 16], [3, 1]]) {
      for (const words of plans) {
        const nGroups = words[0];
        let rows = 0;
        for (let g = 0; g < nGroups; g++) rows += words[2 + 2 * g] + Math.max(0, words[3 + 2 * g]);
        const slots = words[1];
        const floatsPerSlot = k * n + n + 5; // W block, b block, padding: slots lie slotStride bytes apart
        const y = allocate(rows * k).fill(0);
        const dv = allocate(rows * n).fill(0);
        y.set(rand(rows * k, rng));
        dv.set(rand(rows * n, rng));
        const planView = allocate(words.length);
        const plan = new Int32Array(planView.buffer, planView.byteOffset, words.length);
        plan.set(words);
        const run = (kernels: Kernels) => {
          const area = allocate(slots * floatsPerSlot).fill(7);
          const ok = kernels.gemmTNLeaves!(area.subarray(0, k * n), area.subarray(k * n, k * n + n), floatsPerSlot * 4, y, dv, k, n, plan);
          return { ok, area };
        };
        const a = run(wasm);
        const b = run(native);
        expect(a.ok && b.ok).toBe(true);
        // the published slots: the words after nPub at the end
        let at = 2 + 2 * nGroups;
        for (let g = 0; g < nGroups; g++) at += 2 + words[at + 1];
        const pub = words.slice(at + 1, at + 1 + words[at]);
        for (const slot of pub) {
          const o = slot * floatsPerSlot;
          expectSameBits(b.area.subarray(o, o + k * n + n), a.area.subarray(o, o + k * n + n), `leaves k=${k} n=${n} plan ${words.join(',')} slot ${slot}`);
        }
      }
    }
    // a plan naming a slot it does not have is refused, nothing written
    const bad = Int32Array.from([1, 1, 1, -1, 3, 0, 1, 0]);
    const x = new Float32Array(8).fill(1);
    expect(() => native.gemmTNLeaves!(x, x, 32, x, x, 1, 1, bad)).toThrow(/malformed gemmTNLeaves plan/);
    expect(Array.from(x)).toEqual(Array(8).fill(1));
  });

  describe(`${native.name} works in place, delegates what it does not do`, () => {
    it('on Float32Array views with a byte offset into a shared WebAssembly.Memory, writing only its output range', () => {
      const rng = new Rng(13);
      const [m, k, n] = [13, 37, 45];
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
      expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
      const y = new Float32Array(memory.buffer, 4 * 3, m * k); // unaligned to 16 bytes on purpose
      const W = new Float32Array(memory.buffer, 4 * (3 + m * k), k * n);
      const guard = new Float32Array(memory.buffer, 4 * (5 + m * k + k * n), m * n + 2);
      y.set(rand(m * k, rng));
      W.set(rand(k * n, rng));
      guard.fill(42);
      const v = guard.subarray(1, 1 + m * n);
      const b = rand(n, rng);
      native.gemmBias(v, y, W, b, m, k, n);
      const expected = new Float32Array(m * n);
      relaxed!.gemmBias(expected, y, W, b, m, k, n);
      expectSameBits(v, expected, 'gemmBias in shared memory');
      expect([guard[0], guard[m * n + 1]]).toEqual([42, 42]);
    });

    it('float64 operands go to the fallback (which sends them to the reference loops)', () => {
      const y = Float64Array.from([1, 2, 3, 4]), W = Float64Array.from([0.5, -1, 2, 0.25]), b = Float64Array.from([0.1, 0.2]);
      const v = new Float64Array(4);
      native.gemmBias(v, y, W, b, 2, 2, 2);
      // in float64, summed from the bias up as the lecture's loop does
      expect(Array.from(v)).toEqual([0.1 + 1 * 0.5 + 2 * 2, 0.2 + 1 * -1 + 2 * 0.25, 0.1 + 3 * 0.5 + 4 * 2, 0.2 + 3 * -1 + 4 * 0.25]);
      expect(native.denseForward(v, new Float64Array(4), y, W, b, 2, 2, 2, 'relu')).toBe(false);
      expect(native.denseForward(new Float32Array(4), new Float32Array(4), new Float32Array(4), new Float32Array(4), new Float32Array(2), 2, 2, 2, 'tanh')).toBe(false);
    });

    it('methods of the fallback it does not implement are delegated to it', () => {
      const calls: number[] = [];
      const fallback = Object.assign(Object.create(referenceKernels) as Kernels, { name: 'fb', reduceRows: (x: number) => calls.push(x) });
      const k = loadNativeKernels(fallback, { isa }) as unknown as { reduceRows(x: number): void; gemmBias: unknown };
      k.reduceRows(7);
      expect(calls).toEqual([7]);
      expect(k.gemmBias).toBe(native.gemmBias); // its own products are not replaced
    });

    it('rejects operands shorter than the shape with an error, writing nothing', () => {
      const v = new Float32Array(6).fill(9);
      expect(() => native.gemmBias(v, new Float32Array(5), new Float32Array(6), new Float32Array(2), 3, 2, 2)).toThrow(/y has 5 elements, the shape needs 6/);
      expect(Array.from(v)).toEqual([9, 9, 9, 9, 9, 9]);
    });
  });

  it(`${native.name}: four worker threads load the addon at once and compute in one shared memory`, async () => {
    const [workers, rows, k, n] = [4, 24, 300, 70];
    const rng = new Rng(14);
    const floats = workers * rows * k + k * n + n + workers * rows * n;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((floats * 4) / 65536), maximum: 64, shared: true });
    const layout = { yOffset: 0, wOffset: workers * rows * k * 4, bOffset: (workers * rows * k + k * n) * 4, vOffset: (workers * rows * k + k * n + n) * 4 };
    const all = new Float32Array(memory.buffer, 0, floats);
    all.set(rand(workers * rows * k + k * n + n, rng));
    const results = await Promise.all(
      Array.from({ length: workers }, (_, index) => {
        const w = new Worker(new URL('./fixtures/gemm-worker.mjs', import.meta.url), { workerData: { memory, ...layout, rowsPerWorker: rows, index, k, n, repeats: 20 }, env: { ...process.env, SHARDGRAD_NATIVE_ISA: isa } });
        return new Promise<{ name: string }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }).finally(() => w.terminate());
      }),
    );
    expect(results.map((r) => r.name)).toEqual(Array(workers).fill(native.name));
    const y = new Float32Array(memory.buffer, layout.yOffset, workers * rows * k);
    const W = new Float32Array(memory.buffer, layout.wOffset, k * n);
    const b = new Float32Array(memory.buffer, layout.bOffset, n);
    const expected = new Float32Array(workers * rows * n);
    relaxed!.gemmBias(expected, y, W, b, workers * rows, k, n);
    expectSameBits(new Float32Array(memory.buffer, layout.vOffset, workers * rows * n), expected, 'v computed by 4 workers');
  });
}
