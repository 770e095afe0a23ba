import { enableRelaxedSimd, loadWasmKernels, referenceKernels, type Kernels } from '@shardgrad/core';

/** Which matrix kernels a run uses (the CLI's `--kernel`). */
export type KernelChoice = 'wasm' | 'reference';

/** Kernels plus where their scratch memory must live (a WebAssembly kernel needs its own memory). */
export interface KernelBackend {
  readonly kernels: Kernels;
  /** allocator for workspace buffers; undefined = plain Float32Arrays */
  readonly allocate?: (length: number) => Float32Array;
}

/**
 * The one place a worker (or the in-process trainer) gets its kernels from. Every path that trains
 * goes through here, so switching to the WebAssembly kernels is a change to this function only.
 * 'wasm' turns on relaxed SIMD where the runtime can (Node 20: a process-wide V8 flag, which Node
 * will not take in a Worker's execArgv) and loads one instance of the kernels for this thread.
 */
export async function createKernels(choice: KernelChoice): Promise<KernelBackend> {
  switch (choice) {
    case 'reference':
      return { kernels: referenceKernels };
    case 'wasm':
      await enableRelaxedSimd();
      return { kernels: await loadWasmKernels() };
  }
}
