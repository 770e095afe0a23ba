import { loadKernels, referenceKernels, relaxedSimdSupported, type Kernels, type MemoryRegion, type WasmMemory } from '@shardgrad/core';
import { isSharedMemory } from '@shardgrad/core';
// `?url` imports make `vite build` ship the .wasm files (a URL computed inside core would not be bundled)
import relaxedUrl from '@shardgrad/core/kernels/shardgrad-kernels-relaxed.wasm?url';
import relaxedSharedUrl from '@shardgrad/core/kernels/shardgrad-kernels-relaxed-shared.wasm?url';
import simdUrl from '@shardgrad/core/kernels/shardgrad-kernels-simd.wasm?url';
import simdSharedUrl from '@shardgrad/core/kernels/shardgrad-kernels-simd-shared.wasm?url';

/** Which kernels the demo runs: WebAssembly SIMD by default, the reference loops on request. */
export type KernelChoice = 'wasm' | 'reference';

/** `?kernels=reference` selects the readable reference loops (the test oracle); anything else, wasm. */
export function kernelChoiceFrom(search: string): KernelChoice {
  return new URLSearchParams(search).get('kernels') === 'reference' ? 'reference' : 'wasm';
}

/**
 * The one place the web demo creates its kernels, for the page and every worker alike: relaxed
 * SIMD (fused multiply-add) where the browser has it, else plain 128-bit SIMD — over the run's
 * memory (shared or not) with this thread's scratch region, or over a private memory.
 */
export async function createKernels(choice: KernelChoice, memory?: WasmMemory, scratch?: MemoryRegion): Promise<Kernels> {
  if (choice === 'reference') return referenceKernels;
  const relaxed = relaxedSimdSupported();
  const shared = memory !== undefined && isSharedMemory(memory);
  const source = relaxed ? (shared ? relaxedSharedUrl : relaxedUrl) : shared ? simdSharedUrl : simdUrl;
  return loadKernels('wasm', { source, flavor: relaxed ? 'relaxed' : 'simd', ...(memory ? { memory, scratch } : {}) });
}
