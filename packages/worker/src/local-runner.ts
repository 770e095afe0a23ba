// node:worker_threads, not piscina: see runner.ts
import { workerData } from 'node:worker_threads';
import { createKernels } from './kernels.js';
import { LocalWorker, runLocalTask, type LocalRunnerInit, type LocalTask } from './local.js';

const init = workerData as LocalRunnerInit;
/** the replicas of each worker slot this thread has run (a slot runs on one thread at a time) */
const workers = new Map<number, LocalWorker>();

async function workerFor(w: number): Promise<LocalWorker> {
  let lw = workers.get(w);
  if (!lw) {
    lw = await LocalWorker.create(init.layout, init.memory, w, init.data, init.tables, async (memory, scratch) => (await createKernels(init.kernel, memory, scratch)).kernels);
    workers.set(w, lw);
  }
  return lw;
}

/** The piscina entry of a local-mode run's workers: one task per worker per chunk of steps, one per average. */
export default async function runTask(task: LocalTask): Promise<void> {
  runLocalTask(await workerFor(task.w), task);
}
