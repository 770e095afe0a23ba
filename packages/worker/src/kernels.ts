import { enableRelaxedSimd, loadWasmKernels, referenceKernels, type Kernels, type MemoryRegion, type WasmMemory } from '@shardgrad/core';

/** Which matrix kernels a run uses (the CLI's `--kernel`). */
export type KernelChoice = 'wasm' | 'reference';

/** Kernels for one worker, and what they are called. */
export interface KernelBackend {
  readonly kernels: Kernels;
}

/**
 * The one place a worker (or the in-process engine) gets its kernels from. 'wasm' turns on relaxed
 * SIMD where the runtime can (Node 20: a process-wide V8 flag, which Node will not take in a
 * Worker's execArgv) and instantiates the kernels over the run's memory, with `scratch` as this
 * worker's own scratch region; without a memory, over a private one of their own.
 */
export async function createKernels(choice: KernelChoice, memory?: WasmMemory, scratch?: MemoryRegion): Promise<KernelBackend> {
  switch (choice) {
    case 'reference':
      return { kernels: referenceKernels };
    case 'wasm':
      await enableRelaxedSimd();
      return { kernels: await loadWasmKernels(memory ? { memory, scratch } : {}) };
  }
}
