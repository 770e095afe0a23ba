import { describe, expect, it } from 'vitest';
import {
  enableRelaxedSimd,
  finishSlice,
  loadResidentWasmKernels,
  OPTIMIZERS,
  optimizerConfig,
  optimizerStep,
  referenceKernels,
  Rng,
  sliceUpdate,
  stateSlots,
  treeAdd,
  treeLeaf,
  type Kernels,
} from '../src/index.js';

// The engine's step kernels in wasm against their plain forms (tree-ops.ts without the fused
// kernel, optimizers.ts): the same bits, over operands resident in the kernels' memory.
await enableRelaxedSimd();
const rng = new Rng(3);
const fill = (a: Float32Array, scale = 1) => {
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-1, 1) * scale;
  return a;
};
const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The fused kernel switched off: the engine's own fallback path. */
const unfused = (k: Kernels): Kernels => ({ ...Object.fromEntries(['name', 'gemmBias', 'gemmNT', 'gemmTNAcc'].map((f) => [f, (k as never)[f]])), gemmTNAcc: k.gemmTNAcc.bind(k) }) as Kernels;

for (const flavor of ['relaxed', 'simd'] as const) {
  describe(`wasm-${flavor}: tree leaves and the slice pass`, async () => {
    // the wasm builds are read from dist/ (`pnpm build` compiles them)
    const source = new URL(`../dist/kernels/shardgrad-kernels-${flavor}-shared.wasm`, import.meta.url);
    const { kernels, allocate } = await loadResidentWasmKernels(8_000_000, 1_000_000, { flavor, source });

    it('a leaf stored through 0–4 pending levels equals gemmTNAcc from zero plus float32 adds, on every tile edge', () => {
      for (const [m, k, n] of [[1, 1, 1], [16, 784, 256], [3, 17, 5], [7, 6, 13], [0, 4, 8], [300, 9, 10], [16, 128, 10]]) {
        for (let levels = 0; levels <= 4; levels++) {
          const y = fill(allocate(m * k));
          const dv = fill(allocate(m * n));
          // the pending buffers sit at equal distances from dW and db, as the engine's slots do
          const slots = Array.from({ length: levels + 1 }, () => allocate(k * n + n));
          for (const s of slots) fill(s, 10);
          const pendW = slots.slice(1).map((s) => s.subarray(0, k * n));
          const pendB = slots.slice(1).map((s) => s.subarray(k * n));
          const wantPendW = pendW.map((p) => Float32Array.from(p));
          // oracle: the leaf from zero with the product kernel, then s = pending + s, innermost first
          const leafW = new Float32Array(k * n);
          const leafB = new Float32Array(n);
          kernels.gemmTNAcc(leafW, leafB, y, dv, m, k, n);
          // the destination is the outermost pending buffer (slots[1]), or a fresh one without levels
          const order = [...pendW.keys()].reverse(); // innermost first
          const expectW = Float32Array.from(leafW, (x, i) => order.reduce((s, c) => Math.fround(wantPendW[c][i] + s), x));
          const expectB = Float32Array.from(leafB, (x, i) => order.reduce((s, c) => Math.fround(pendB[c][i] + s), x));
          const dst = levels === 0 ? slots[0] : slots[1];
          const ok = kernels.gemmTNTree(dst.subarray(0, k * n), dst.subarray(k * n), y, dv, m, k, n, order.map((c) => pendW[c]), order.map((c) => pendB[c]));
          expect(ok).toBe(true);
          expect(same(dst.subarray(0, k * n), expectW), `${m}x${k}x${n} levels ${levels}`).toBe(true);
          expect(same(dst.subarray(k * n), expectB)).toBe(true);
        }
      }
    });

    it("the engine's fallback (no fused kernel) gives the fused kernel's bits", () => {
      const [m, k, n] = [13, 37, 21];
      const y = fill(allocate(m * k));
      const dv = fill(allocate(m * n));
      const a = [allocate(k * n + n), allocate(k * n + n)].map((s) => fill(s));
      const b = a.map((s) => Float32Array.from(s));
      const scratchW = allocate(k * n);
      const scratchB = allocate(n);
      treeLeaf(kernels, a[0].subarray(0, k * n), a[0].subarray(k * n), y, dv, m, k, n, [a[1].subarray(0, k * n), a[0].subarray(0, k * n)], [a[1].subarray(k * n), a[0].subarray(k * n)], scratchW, scratchB);
      const plain = unfused(kernels);
      expect(plain.gemmTNTree).toBeUndefined();
      treeLeaf(plain, b[0].subarray(0, k * n), b[0].subarray(k * n), y, dv, m, k, n, [b[1].subarray(0, k * n), b[0].subarray(0, k * n)], [b[1].subarray(k * n), b[0].subarray(k * n)], scratchW, scratchB);
      expect(same(a[0], b[0])).toBe(true);
    });

    it('addInto over a slice equals float32 adds and leaves the rest alone', () => {
      const a = fill(allocate(1003), 100);
      const b = fill(allocate(1003));
      const want = Float32Array.from(a, (x, i) => (i >= 5 && i < 998 ? Math.fround(x + b[i]) : x));
      treeAdd(kernels, a, b, 5, 998);
      expect(same(a, want)).toBe(true);
    });

    it('has a pass for every registered optimizer (none falls back to the plain form)', () => {
      for (const kind of OPTIMIZERS) {
        const theta = fill(allocate(8));
        const state = allocate(stateSlots(kind) * 8);
        const u = sliceUpdate(optimizerConfig(kind), { root: fill(allocate(8)), avg: allocate(8), theta, state }, 8);
        expect([kind, kernels.finishUpdate!(u)]).toEqual([kind, 1]);
      }
    });

    // every registered optimizer, with weight decay, in place and into other arrays (θ double-buffered)
    for (const kind of OPTIMIZERS)
      for (const aliased of [true, false])
        it(`${kind} with weight decay, ${aliased ? 'in place' : 'into other arrays'}: the slice pass gives the plain rule's bits`, () => {
          const P = 1037;
          const cfg = optimizerConfig(kind, { weightDecay: 0.01, momentum: 0.8 });
          const slots = stateSlots(kind);
          const root = fill(allocate(P), 50);
          const other = fill(allocate(P), 50);
          const theta = fill(allocate(P));
          const state = fill(allocate(slots * P), 0.1);
          if (slots === 2) for (let i = P; i < 2 * P; i++) state[i] = Math.abs(state[i]);
          const avg = allocate(P);
          const thetaOut = aliased ? theta : fill(allocate(P));
          const stateOut = aliased ? state : fill(allocate(slots * P));
          const [thetaIn, stateIn] = [Float32Array.from(theta), Float32Array.from(state)];
          const [outBefore, stateOutBefore] = [Float32Array.from(thetaOut), Float32Array.from(stateOut)];
          // oracle: r = fl(root + other), ḡ = f32(r / B), then the plain rule in place on copies
          const [p0, p1, B, lr, t] = [16, 1030, 37, 0.05, 3];
          const jsTheta = Float32Array.from(theta);
          const jsState = Float32Array.from(state);
          const jsAvg = new Float32Array(P);
          for (let i = p0; i < p1; i++) jsAvg[i] = Math.fround(root[i] + other[i]) * (1 / B);
          optimizerStep(cfg, jsTheta, jsAvg, jsState, P, p0, p1, lr, t);
          const u = sliceUpdate(cfg, { root, other, avg, theta, state, thetaOut, stateOut }, P);
          Object.assign(u, { p0, p1, inv: 1 / B, lr, t });
          for (const k of [kernels, unfused(kernels)]) {
            // each run starts from the same inputs
            theta.set(thetaIn);
            state.set(stateIn);
            if (!aliased) {
              thetaOut.set(outBefore);
              stateOut.set(stateOutBefore);
            }
            expect(finishSlice(k, u)).toBe(true);
            if (!aliased) {
              // the inputs are untouched, and outside [p0, p1) the outputs too
              expect(same(theta, thetaIn) && same(state, stateIn)).toBe(true);
              for (const [a, b] of [[thetaOut, outBefore], [stateOut, stateOutBefore]] as const)
                for (let s = 0; s * P < a.length; s++) {
                  // slot s: before p0 and from p1 on
                  expect(same(a.subarray(s * P, s * P + p0), b.subarray(s * P, s * P + p0))).toBe(true);
                  expect(same(a.subarray(s * P + p1, (s + 1) * P), b.subarray(s * P + p1, (s + 1) * P))).toBe(true);
                }
            }
            expect(same(thetaOut.subarray(p0, p1), jsTheta.subarray(p0, p1))).toBe(true);
            for (let s = 0; s < slots; s++) expect(same(stateOut.subarray(s * P + p0, s * P + p1), jsState.subarray(s * P + p0, s * P + p1))).toBe(true);
            expect(same(avg.subarray(p0, p1), jsAvg.subarray(p0, p1))).toBe(true);
          }
        });

    it('the slice pass reports a non-finite ḡ or θ', () => {
      const P = 64;
      const root = fill(allocate(P));
      const theta = fill(allocate(P));
      const avg = allocate(P);
      root[40] = Number.POSITIVE_INFINITY;
      const u = sliceUpdate(optimizerConfig('sgd'), { root, avg, theta, state: new Float32Array(0) }, P);
      Object.assign(u, { inv: 0.5, lr: 0.1, t: 1 });
      expect(finishSlice(kernels, Object.assign(u, { p0: 0, p1: 32 }))).toBe(true);
      expect(finishSlice(kernels, Object.assign(u, { p0: 32, p1: 64 }))).toBe(false);
    });

    it('each row of a product is the same whatever rows share the call (forward runs all of a worker\'s rows at once)', () => {
      const [m, k, n] = [23, 50, 19];
      const y = fill(allocate(m * k));
      const W = fill(allocate(k * n));
      const b = fill(allocate(n));
      const all = allocate(m * n);
      const out = allocate(m * n);
      kernels.denseForward!(all, out, y, W, b, m, k, n, 'relu');
      for (let r = 0; r < m; r++) {
        const one = allocate(n);
        const oneOut = allocate(n);
        kernels.denseForward!(one, oneOut, y.subarray(r * k, (r + 1) * k), W, b, 1, k, n, 'relu');
        expect(same(one, all.subarray(r * n, (r + 1) * n))).toBe(true);
      }
      const dv = fill(allocate(m * n));
      const vb = fill(allocate(m * k));
      const dy = allocate(m * k);
      kernels.denseBackwardInput!(dy, dv, W, vb, m, n, k, 'relu');
      for (const [r0, rows] of [[0, 6], [6, 5], [11, 12]]) {
        const part = allocate(rows * k);
        kernels.denseBackwardInput!(part, dv.subarray(r0 * n, (r0 + rows) * n), W, vb.subarray(r0 * k, (r0 + rows) * k), rows, n, k, 'relu');
        expect(same(part, dy.subarray(r0 * k, (r0 + rows) * k))).toBe(true);
      }
    });
  });
}

it('reference kernels take the plain path of every step operation', () => {
  expect(referenceKernels.gemmTNTree).toBeUndefined();
  expect(referenceKernels.finishUpdate).toBeUndefined();
});
