import { createLocalTables, type LocalRunLayout, type LocalRunnerInit, type LocalTask } from '@shardgrad/worker';
import { LocalSyncEngine } from '../run/local-sync-engine.js';
import type { EngineContext } from '../run/step-engine.js';
import { createWorkerPool } from './worker-pool.js';

/**
 * `--sync local:H` or `hogwild` on Node worker threads: layout.local.W piscina threads running
 * @shardgrad/worker's local runner; a task per worker per chunk of steps and per average. A worker
 * that fails ends the run (exit code 1): replicas update θ in place, so a step cannot simply be run
 * again as in the step engine; the last checkpoint is kept.
 */
export function localPoolEngine(ctx: EngineContext): Promise<LocalSyncEngine> {
  const layout = ctx.layout as LocalRunLayout;
  const { R, W } = layout.local;
  const tables = createLocalTables(R, W, true);
  const init: LocalRunnerInit = { layout, memory: ctx.memory, data: { X: ctx.data.X, Y: ctx.data.Y, order: ctx.data.order }, kernel: ctx.kernel, tables };
  const pool = createWorkerPool<LocalTask, void>(W, init, '@shardgrad/worker/local-runner');
  const backend = {
    run: async (tasks: readonly LocalTask[]) => {
      await Promise.all(tasks.map((t) => pool.run(t)));
    },
    close: () => pool.destroy(),
  };
  return Promise.resolve(new LocalSyncEngine(layout, ctx.data, tables, backend, false));
}
