import type { WasmMemory } from '@shardgrad/core';
import type { ControlBlock } from './barrier.js';
import type { KernelChoice } from './kernels.js';
import type { RunLayout } from './layout.js';
import type { RunData } from './step.js';

/** Given once to every pool worker (piscina's workerData): the memory and the buffers are shared, not copied. */
export interface RunnerInit {
  readonly layout: RunLayout;
  /** the run's shared WebAssembly.Memory: θ, the tree's partial sums, every workspace */
  readonly memory: WasmMemory;
  readonly data: RunData;
  readonly kernel: KernelChoice;
  /** the barrier protocol's control block */
  readonly control: ControlBlock;
  /** µs a worker polls an opening barrier before sleeping (SPIN_US when every worker has a core of its own, else 0) */
  readonly spin: number;
  /** a fault to inject (tests), from the caller — the worker reads no environment */
  readonly fault?: import('./fault.js').FaultSpec;
}

/**
 * One long-running task per worker for the whole run. Worker w of W waits for the control block's
 * GEN to move past `gen`, runs the segment of steps it describes (per step: its shards, the mid-step
 * barrier, its parameter slice, the end-of-step barrier), reports DONE, and waits again until
 * PHASE says quit.
 */
export interface LoopTask {
  readonly kind: 'loop';
  readonly w: number;
  readonly gen: number;
}

export type RunnerTask = LoopTask;

/** What a loop task sends back when it ends. */
export interface RunnerReply {
  readonly finite: boolean;
}
