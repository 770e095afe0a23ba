import { enableRelaxedSimd, errors, loadWasmKernels, referenceKernels, type Kernels, type MemoryRegion, type WasmMemory } from '@shardgrad/core';

/** Which matrix kernels a run uses (the CLI's `--kernel`); 'auto' = native where it loaded, else wasm. */
export type KernelChoice = 'auto' | 'native' | 'wasm' | 'reference';

/** Kernels for one worker, and what they are called. */
export interface KernelBackend {
  readonly kernels: Kernels;
}

/** The WebAssembly kernels over the run's memory (or a private one), relaxed SIMD turned on where the runtime can. */
async function wasmKernels(memory?: WasmMemory, scratch?: MemoryRegion): Promise<Kernels> {
  await enableRelaxedSimd();
  return loadWasmKernels(memory ? { memory, scratch } : {});
}

const NATIVE_PACKAGE: string = '@shardgrad/native';

/**
 * The native kernels over `fallback`, or a ShardgradError naming --kernel and why they are
 * unavailable. The package is imported dynamically, so a missing or broken addon breaks nothing else.
 */
async function nativeKernels(fallback: Kernels): Promise<Kernels> {
  let native: typeof import('@shardgrad/native');
  try {
    // a specifier bundlers leave alone: the browser build never sees the Node addon
    native = (await import(/* @vite-ignore */ NATIVE_PACKAGE)) as typeof import('@shardgrad/native');
  } catch (e) {
    throw errors.badSetting('kernel', `native kernels unavailable: @shardgrad/native does not load (${String((e as Error).message).split('\n')[0]})`);
  }
  return native.loadNativeKernels(fallback);
}

/**
 * The one place a worker (or the in-process engine) gets its kernels from. 'wasm' turns on relaxed
 * SIMD where the runtime can (Node 20: a process-wide V8 flag, which Node will not take in a
 * Worker's execArgv) and instantiates the kernels over the run's memory, with `scratch` as this
 * worker's own scratch region; without a memory, over a private one of their own. 'native' wraps
 * that wasm instance: the addon works in place on the same memory, and what it does not do goes to
 * wasm (the same bits). 'auto' is native where the addon loaded, else wasm.
 */
export async function createKernels(choice: KernelChoice, memory?: WasmMemory, scratch?: MemoryRegion): Promise<KernelBackend> {
  if (choice === 'reference') return { kernels: referenceKernels };
  const wasm = await wasmKernels(memory, scratch);
  return { kernels: choice === 'wasm' ? wasm : await withNativeKernels(choice, wasm) };
}

/**
 * 'native': the native kernels over `wasm` (a ShardgradError naming --kernel and the reason where
 * they are unavailable); 'auto': the same, or `wasm` itself where they are unavailable.
 */
export async function withNativeKernels(choice: 'native' | 'auto', wasm: Kernels): Promise<Kernels> {
  if (choice === 'native') return nativeKernels(wasm);
  try {
    return await nativeKernels(wasm);
  } catch {
    return wasm;
  }
}
