// AdamW against PyTorch: 20 full-batch steps of torch.optim.AdamW on a 3-4-2 network, the numbers
// computed by torch itself (fixtures/adamw-torch.py → adamw-torch.json), reproduced to 1e-6 by the
// reference, wasm and native kernels. The fast kernels (fused multiply-adds) agree with each other
// bit for bit; the optimizer's fused pass gives its plain rule's bits (packages/core/test/tree-kernels.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  accumulateGradient,
  bindWorkspace,
  createWorkspace,
  enableRelaxedSimd,
  finishSlice,
  loadResidentWasmKernels,
  mlpSpec,
  optimizerConfig,
  referenceKernels,
  sliceUpdate,
  stateSlots,
  type Kernels,
  type OptimizerKind,
} from '@shardgrad/core';
import { loadNativeKernels, nativeUnavailableReason } from '@shardgrad/native';

interface Fixture {
  sizes: number[];
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  X: number[];
  T: number[];
  theta0: number[];
  steps: { loss: number; theta: number[] }[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/adamw-torch.json', import.meta.url), 'utf8')) as Fixture;
const spec = mlpSpec(fx.sizes, 'tanh', 'identity', 'mse');
const rows = fx.X.length / fx.sizes[0];
await enableRelaxedSimd();

/** 20 steps from the fixture's θ₀: the loss before each step and θ after it, through the engine's slice pass. */
function train(kernels: Kernels, allocate: (n: number) => Float32Array, kind: OptimizerKind): { losses: number[]; thetas: Float32Array[] } {
  const P = fx.theta0.length;
  const params = allocate(P);
  params.set(fx.theta0);
  const grad = allocate(P);
  const state = allocate(stateSlots(kind) * P);
  const ws = createWorkspace(spec, rows, allocate);
  bindWorkspace(ws, params, grad);
  const X = Float32Array.from(fx.X);
  const T = Float32Array.from(fx.T);
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  const cfg = optimizerConfig(kind, { weightDecay: fx.weightDecay, beta1: fx.beta1, beta2: fx.beta2, eps: fx.eps });
  const u = sliceUpdate(cfg, { root: grad, avg: grad, theta: params, state }, P);
  const losses: number[] = [];
  const thetas: Float32Array[] = [];
  for (let t = 1; t <= fx.steps.length; t++) {
    grad.fill(0);
    losses.push(accumulateGradient(spec, ws, X, T, order, 0, rows, kernels) / rows);
    Object.assign(u, { inv: 1 / rows, lr: fx.lr, t });
    expect(finishSlice(kernels, u)).toBe(true);
    thetas.push(Float32Array.from(params));
  }
  return { losses, thetas };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (x, i) => Math.abs(x - b[i])).reduce((m, d) => Math.max(m, d), 0);
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('AdamW matches torch.optim.AdamW (fixtures/adamw-torch.json)', async () => {
  const plain = (n: number) => new Float32Array(n);
  const reference = train(referenceKernels, plain, 'adamw');
  const resident = await loadResidentWasmKernels(100_000, 10_000);
  const wasm = train(resident.kernels, resident.allocate, 'adamw');

  for (const [name, run] of [['reference', reference], ['wasm (the fused slice pass, operands resident)', wasm]] as const)
    it(`the ${name} kernels: every step's loss and θ within 1e-6 of torch`, () => {
      fx.steps.forEach((s, i) => {
        expect(Math.abs(run.losses[i] - s.loss), `loss before step ${i + 1}`).toBeLessThan(1e-6);
        expect(maxDiff(run.thetas[i], s.theta), `θ after step ${i + 1}`).toBeLessThan(1e-6);
      });
    });

  it('the wasm kernels took their fused AdamW pass', () => {
    const a = resident.allocate;
    expect(resident.kernels.finishUpdate!(sliceUpdate(optimizerConfig('adamw'), { root: a(4), avg: a(4), theta: a(4), state: a(8) }, 4))).toBe(1);
  });

  it.skipIf(nativeUnavailableReason() !== undefined)('the native kernels give the wasm bits at every step', () => {
    const native = loadNativeKernels(resident.kernels);
    const run = train(native, resident.allocate, 'adamw');
    run.thetas.forEach((th, i) => expect(bits(th), `θ after step ${i + 1}`).toBe(bits(wasm.thetas[i])));
  });

  it('Adam with the same λ as an L2 term is not AdamW: it misses torch by far more than 1e-6', () => {
    const adam = train(referenceKernels, plain, 'adam');
    expect(maxDiff(adam.thetas[19], fx.steps[19].theta)).toBeGreaterThan(1e-3);
  });
});
