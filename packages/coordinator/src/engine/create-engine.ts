import type { MLPSpec, OptimizerConfig } from '@shardgrad/core';
import { createControlBlock, type KernelChoice, type RunnerInit, type SharedTrainingBuffers } from '@shardgrad/worker';
import { BarrierPoolEngine } from './barrier-pool-engine.js';
import { InProcessEngine } from './in-process-engine.js';
import type { StepEngine, StepMode } from './step-engine.js';
import { TaskPoolEngine } from './task-pool-engine.js';

/** Rows per forward/backward chunk: the largest shard, so it depends on (batch, V) only. */
export function chunkCapacity(batch: number, V: number): number {
  return Math.max(1, Math.ceil(batch / V));
}

/** The engine for `workers` (0 = in-process), over buffers created once for the run. */
export async function createEngine(
  workers: number,
  spec: MLPSpec,
  V: number,
  buffers: SharedTrainingBuffers,
  optimizer: OptimizerConfig,
  batch: number,
  kernel: KernelChoice,
  mode: StepMode = 'barrier',
): Promise<StepEngine> {
  const capacity = chunkCapacity(batch, V);
  if (workers === 0) return InProcessEngine.create(spec, V, buffers, optimizer, capacity, kernel);
  const init: RunnerInit = { spec, V, buffers, optimizer, capacity, kernel, control: createControlBlock(workers) };
  return mode === 'barrier' ? new BarrierPoolEngine(workers, init) : new TaskPoolEngine(workers, init);
}
