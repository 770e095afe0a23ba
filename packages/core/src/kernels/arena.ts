import type { FloatArray } from './kernels.js';
import { createWasmMemory, loadWasmKernels, WASM_SCRATCH_RESERVED, type MemoryRegion, type WasmKernels, type WasmLoadOptions, type WasmMemory } from './wasm.js';

/** Operands start on a cache line: no two threads' buffers share one, and f32x4 loads are aligned. */
export const ARENA_ALIGN = 64;

export function alignUp(bytes: number, to = ARENA_ALIGN): number {
  return Math.ceil(bytes / to) * to;
}

/**
 * A bump allocator over one WebAssembly.Memory: every buffer of a run is carved out of it once, so
 * the kernels work on resident operands and nothing is copied per step. It never grows the memory:
 * size it first (`Arena.measure`). Views are made in the calling thread, over its own `memory.buffer`.
 */
export class Arena {
  private top: number;

  constructor(
    readonly memory: WasmMemory,
    start = 0,
    private readonly end = memory.buffer.byteLength,
  ) {
    this.top = alignUp(start);
  }

  /** The bytes a sequence of allocations takes, replayed on a measuring arena. */
  static measure(allocations: (arena: Arena) => void): number {
    const probe = new Arena({ buffer: new ArrayBuffer(0), grow: () => 0 }, 0, Infinity);
    probe.measuring = true;
    allocations(probe);
    return probe.top;
  }

  private measuring = false;

  /** The next `bytes` bytes (aligned). */
  region(bytes: number): MemoryRegion {
    const byteOffset = this.top;
    this.top = alignUp(byteOffset + bytes);
    if (this.top > this.end) throw new Error(`arena: ${this.top - this.end} bytes short (memory of ${this.end} bytes)`);
    return { byteOffset, bytes };
  }

  /** n float32 values, as a view over the memory. */
  floats(n: number): Float32Array {
    const { byteOffset } = this.region(n * 4);
    return this.measuring ? new Float32Array(0) : new Float32Array(this.memory.buffer, byteOffset, n);
  }

  /** Where the next allocation would start. */
  get used(): number {
    return this.top;
  }
}

/** A float view of a region made elsewhere (another thread's arena, same layout). */
export function viewOf(memory: WasmMemory, region: MemoryRegion): Float32Array {
  return new Float32Array(memory.buffer, region.byteOffset, region.bytes / 4);
}

/**
 * One thread's WebAssembly kernels over a fresh memory of their own, plus an allocator of resident
 * operands in it: the single-threaded loop's (trainLocal's) way to copy nothing per call.
 * `floats` is what the caller will allocate; `scratchFloats` the kernels' own scratch (Wᵀ).
 */
export async function loadResidentWasmKernels(
  floats: number,
  scratchFloats: number,
  options: Omit<WasmLoadOptions, 'memory' | 'scratch'> = {},
): Promise<{ kernels: WasmKernels; allocate: (n: number) => Float32Array }> {
  // the allocator aligns each buffer to a cache line: allow for it on every one of up to 64 buffers
  const scratchBytes = scratchFloats * 4 + 1024 + WASM_SCRATCH_RESERVED;
  const bytes = alignUp(floats * 4) + 64 * ARENA_ALIGN + alignUp(scratchBytes) + ARENA_ALIGN;
  const memory = createWasmMemory(bytes, typeof SharedArrayBuffer !== 'undefined');
  const arena = new Arena(memory, ARENA_ALIGN);
  const scratch = arena.region(scratchBytes);
  const kernels = await loadWasmKernels({ ...options, memory, scratch });
  return { kernels, allocate: (n: number) => arena.floats(n) };
}

export type { FloatArray };
