import { loadKernels, referenceKernels, relaxedSimdSupported, type Kernels } from '@shardgrad/core';
// `?url` imports make `vite build` ship the .wasm files (a URL computed inside core would not be bundled)
import relaxedUrl from '@shardgrad/core/kernels/shardgrad-kernels-relaxed.wasm?url';
import simdUrl from '@shardgrad/core/kernels/shardgrad-kernels-simd.wasm?url';

/** Which kernels the demo runs: WebAssembly SIMD by default, the reference loops on request. */
export type KernelChoice = 'wasm' | 'reference';

/** `?kernels=reference` selects the readable reference loops (the test oracle); anything else, wasm. */
export function kernelChoiceFrom(search: string): KernelChoice {
  return new URLSearchParams(search).get('kernels') === 'reference' ? 'reference' : 'wasm';
}

/**
 * The one place the web demo creates its kernels, for the page and every worker alike:
 * relaxed SIMD (fused multiply-add) where the browser has it, else plain 128-bit SIMD.
 */
export async function createKernels(choice: KernelChoice): Promise<Kernels> {
  if (choice === 'reference') return referenceKernels;
  const relaxed = relaxedSimdSupported();
  return loadKernels('wasm', { source: relaxed ? relaxedUrl : simdUrl, flavor: relaxed ? 'relaxed' : 'simd' });
}
