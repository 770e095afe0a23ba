import { referenceKernels, type Kernels } from '@shardgrad/core';

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
 * Until the WebAssembly kernels land, 'wasm' runs the reference kernels.
 */
export async function createKernels(choice: KernelChoice): Promise<KernelBackend> {
  switch (choice) {
    case 'reference':
    case 'wasm':
      return { kernels: referenceKernels };
  }
}
