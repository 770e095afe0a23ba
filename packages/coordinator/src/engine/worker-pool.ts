import { createRequire } from 'node:module';
import type { RunnerReply, RunnerTask } from '@shardgrad/worker';
import { Piscina } from 'piscina';

/** A task is tried this many times before the run fails (a crash is retried on a fresh worker). */
export const MAX_ATTEMPTS = 3;

/** W piscina threads running @shardgrad/worker's runner (or another of its entries: `entry`), attached to the run's shared buffers. */
export function createWorkerPool<Task = RunnerTask, Reply = RunnerReply>(workers: number, init: object, entry = '@shardgrad/worker/runner'): Piscina<Task, Reply> {
  return new Piscina<Task, Reply>({
    filename: createRequire(import.meta.url).resolve(entry),
    workerData: init, // the shared buffers inside are shared, not copied
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 2 ** 31 - 1, // between steps every worker is idle: never shut them down
    concurrentTasksPerWorker: 1,
    atomics: 'sync', // gradient code is synchronous; idle workers park in Atomics.wait
  });
}
