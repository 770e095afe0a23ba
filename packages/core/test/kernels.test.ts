import { expect, it } from 'vitest';
import { enableRelaxedSimd, loadWasmKernels, referenceKernels } from '../src/index.js';
import { kernelSuite } from './kernels-suite.js';

// The wasm builds are read from dist/ (`pnpm build` compiles them); src/ has no .wasm next to it.
const built = (flavor: string) => new URL(`../dist/kernels/shardgrad-kernels-${flavor}.wasm`, import.meta.url);
const relaxedOn = await enableRelaxedSimd();

kernelSuite(referenceKernels);
kernelSuite(await loadWasmKernels({ flavor: 'simd', source: built('simd') }));
kernelSuite(await loadWasmKernels({ flavor: 'relaxed', source: built('relaxed') }));

it('relaxed SIMD can be switched on in this Node (process-wide V8 flag)', () => {
  expect(relaxedOn).toBe(true);
});
