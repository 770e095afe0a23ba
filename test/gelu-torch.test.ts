// GELU against PyTorch: torch.nn.GELU (exact and tanh forms) in float64 with autograd derivatives
// (fixtures/gelu-torch.py → gelu-torch.json). The registry's g and g′ match to 1e-6 at 127
// points; a 3-4-2 GELU network's loss and gradient match to 1e-6 with the reference, wasm and
// native kernels, and the wasm and native gradients agree bit for bit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ACTIVATION_DEFINITIONS,
  accumulateGradient,
  activation_backward,
  activation_forward,
  bindWorkspace,
  createWorkspace,
  enableRelaxedSimd,
  loadResidentWasmKernels,
  mlpSpec,
  referenceKernels,
  type Kernels,
} from '@shardgrad/core';
import { loadNativeKernels, nativeUnavailableReason } from '@shardgrad/native';

type Form = 'gelu' | 'gelu-tanh';
interface Fixture {
  v: number[];
  points: Record<Form, { g: number[]; dg: number[] }>;
  net: { X: number[]; T: number[]; theta: number[] } & Record<Form, { loss: number; grad: number[] }>;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/gelu-torch.json', import.meta.url), 'utf8')) as Fixture;
const FORMS: Form[] = ['gelu', 'gelu-tanh'];
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (x, i) => Math.abs(x - b[i])).reduce((m, d) => Math.max(m, d), 0);
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
await enableRelaxedSimd();

describe.each(FORMS)('%s matches torch.nn.GELU', (form) => {
  const def = ACTIVATION_DEFINITIONS[form];
  const { g, dg } = fx.points[form];

  it('g and g′ at 127 points in float64, within 1e-6', () => {
    expect(maxDiff(fx.v.map(def.g), g)).toBeLessThan(1e-6);
    expect(maxDiff(fx.v.map((v) => def.dg(v, def.g(v))), dg)).toBeLessThan(1e-6);
  });

  it('the layer loops in float32: y = g(v) and dv = dy ⊙ g′(v) (dy = 1), within 1e-6', () => {
    const v = Float32Array.from(fx.v);
    const y = new Float32Array(v.length);
    activation_forward(form, y, v, 1, v.length);
    expect(maxDiff(y, g)).toBeLessThan(1e-6);
    const dv = new Float32Array(v.length);
    activation_backward(form, dv, new Float32Array(v.length).fill(1), v, y, v.length);
    expect(maxDiff(dv, dg)).toBeLessThan(1e-6);
  });

  describe('a 3-4-2 network: loss and gradient', async () => {
    const spec = mlpSpec([3, 4, 2], form, 'identity', 'mse');
    const rows = fx.net.X.length / 3;
    const gradient = (kernels: Kernels, allocate: (n: number) => Float32Array) => {
      const params = allocate(fx.net.theta.length);
      params.set(fx.net.theta);
      const grad = allocate(params.length);
      const ws = createWorkspace(spec, rows, allocate);
      bindWorkspace(ws, params, grad);
      const order = Uint32Array.from({ length: rows }, (_, i) => i);
      const loss = accumulateGradient(spec, ws, Float32Array.from(fx.net.X), Float32Array.from(fx.net.T), order, 0, rows, kernels) / rows;
      return { loss, grad: grad.map((x) => x / rows) };
    };
    const resident = await loadResidentWasmKernels(100_000, 10_000);
    const wasm = gradient(resident.kernels, resident.allocate);
    for (const [name, run] of [['reference', () => gradient(referenceKernels, (n) => new Float32Array(n))], ['wasm', () => wasm]] as const)
      it(`${name} kernels: within 1e-6 of torch`, () => {
        const { loss, grad } = run();
        expect(Math.abs(loss - fx.net[form].loss)).toBeLessThan(1e-6);
        expect(maxDiff(grad, fx.net[form].grad)).toBeLessThan(1e-6);
      });
    it.skipIf(nativeUnavailableReason() !== undefined)('native kernels: the wasm bits', () => {
      const native = gradient(loadNativeKernels(resident.kernels), resident.allocate);
      expect(bits(native.grad)).toBe(bits(wasm.grad));
      expect(native.loss).toBe(wasm.loss);
    });
  });
});
