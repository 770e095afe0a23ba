import { createRequire } from 'node:module';
import type { RunnerInit, RunnerReply, RunnerTask } from '@shardgrad/worker';
import { Piscina } from 'piscina';

/** A task is tried this many times before the run fails (a crash is retried on a fresh worker). */
export const MAX_ATTEMPTS = 3;

function runnerPath(): string {
  return createRequire(import.meta.url).resolve('@shardgrad/worker/runner');
}

/** W piscina threads running @shardgrad/worker's runner, attached to the run's shared buffers. */
export function createWorkerPool(workers: number, init: RunnerInit): Piscina<RunnerTask, RunnerReply> {
  return new Piscina<RunnerTask, RunnerReply>({
    filename: runnerPath(),
    workerData: init, // the shared buffers inside are shared, not copied
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 2 ** 31 - 1, // between steps every worker is idle: never shut them down
    concurrentTasksPerWorker: 1,
    atomics: 'sync', // gradient code is synchronous; idle workers park in Atomics.wait
  });
}
