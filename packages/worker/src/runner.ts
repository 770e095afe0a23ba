import { workerData } from 'piscina';
import { parseFaultSpec, FAULT_ENV } from './fault.js';
import { createKernels } from './kernels.js';
import type { RunnerInit, RunnerReply, RunnerTask } from './messages.js';
import { computeShardGradient, createWorkerContext, reduceAndUpdate, shardRange, sliceIsFinite } from './step.js';

/**
 * The piscina worker entry: attaches once to the shared buffers in workerData, then runs step
 * tasks. Everything it touches per step was allocated here, at start-up.
 */
const init = workerData as RunnerInit;
const fault = parseFaultSpec(process.env[FAULT_ENV]);
const backend = await createKernels(init.kernel);
const ctx = createWorkerContext(init.spec, init.V, init.buffers, backend.kernels, init.optimizer, init.capacity, backend.allocate);

function injectFault(kind: 'exit' | 'throw', s: number): void {
  // leave the shard's region half-written, as a real crash would: the retry must overwrite it
  ctx.shardViews[s].fill(Number.NaN);
  if (kind === 'exit') process.exit(70);
  throw new Error(`injected fault (${FAULT_ENV})`);
}

export default function runTask(task: RunnerTask): RunnerReply {
  const t0 = performance.now();
  if (task.kind === 'gradient') {
    for (let s = task.s0; s < task.s1; s++) {
      const [lo, hi] = shardRange(task.start, task.end, init.V, s);
      computeShardGradient(ctx, s, lo, hi);
      if (fault && task.attempt === 0 && task.w === fault.worker && task.step === fault.step) injectFault(fault.kind, s);
    }
    return { mathMs: performance.now() - t0, finite: true };
  }
  reduceAndUpdate(ctx, task.p0, task.p1, task.batchSize, task.lr, task.step);
  return { mathMs: performance.now() - t0, finite: sliceIsFinite(ctx, task.p0, task.p1) };
}
