import { referenceKernels, type Kernels } from '@shardgrad/core';

/**
 * The one place the web demo chooses its kernels, for the page and every worker alike.
 * Today core's reference kernels; when the WebAssembly SIMD kernels land, this becomes
 * `loadKernels('wasm')` and nothing else changes.
 */
export async function createKernels(): Promise<Kernels> {
  return referenceKernels;
}
