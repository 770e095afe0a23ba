import type { MLPSpec, OptimizerConfig } from '@shardgrad/core';
import type { KernelChoice, SharedTrainingBuffers } from '@shardgrad/worker';
import { InProcessEngine } from './in-process-engine.js';
import { PoolEngine } from './pool-engine.js';
import type { StepEngine } from './step-engine.js';

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
): Promise<StepEngine> {
  const capacity = chunkCapacity(batch, V);
  if (workers === 0) return InProcessEngine.create(spec, V, buffers, optimizer, capacity, kernel);
  return new PoolEngine(workers, spec, V, buffers, optimizer, capacity, kernel);
}
