import type { MLPSpec, OptimizerConfig } from '@shardgrad/core';
import type { ControlBlock } from './barrier.js';
import type { KernelChoice } from './kernels.js';
import type { SharedTrainingBuffers } from './step.js';

/** Given once to every pool worker (piscina's workerData): the shared buffers are shared, not copied. */
export interface RunnerInit {
  readonly spec: MLPSpec;
  readonly V: number;
  readonly buffers: SharedTrainingBuffers;
  readonly optimizer: OptimizerConfig;
  /** rows per forward/backward chunk: fixed by the batch and V, never by the worker count */
  readonly capacity: number;
  readonly kernel: KernelChoice;
  /** the barrier protocol's control block (used by LoopTask) */
  readonly control: ControlBlock;
}

/** Phase 1 of a step for worker task w: the gradients of virtual shards [s0, s1) of batch [start, end). */
export interface GradientTask {
  readonly kind: 'gradient';
  /** which worker slot this task is (for fault injection and reports), 1-based global step */
  readonly w: number;
  readonly step: number;
  readonly attempt: number;
  readonly s0: number;
  readonly s1: number;
  readonly start: number;
  readonly end: number;
}

/** Phase 2 of a step for worker task w: reduce G and update the parameter slice [p0, p1). */
export interface UpdateTask {
  readonly kind: 'update';
  readonly w: number;
  readonly step: number;
  readonly attempt: number;
  readonly p0: number;
  readonly p1: number;
  readonly batchSize: number;
  readonly lr: number;
}

/**
 * The barrier protocol: one long-running task per worker for the whole run. Worker w of W waits
 * for the control block's GEN to move past `gen`, runs the step it describes (its shard block,
 * the barrier, its parameter slice), reports DONE, and waits again until PHASE says quit.
 */
export interface LoopTask {
  readonly kind: 'loop';
  readonly w: number;
  readonly W: number;
  readonly gen: number;
}

export type RunnerTask = GradientTask | UpdateTask | LoopTask;

/** What a task sends back: time spent in math (ms), and for updates whether the slice stayed finite. */
export interface RunnerReply {
  readonly mathMs: number;
  readonly finite: boolean;
}
