import { createLocalTables, type LocalRunLayout, type LocalRunnerInit, type LocalTask } from '@shardgrad/worker';
import { connectLocalRanks } from '@shardgrad/worker/local-ranks';
import { LocalSyncEngine } from '../run/local-sync-engine.js';
import type { EngineContext } from '../run/step-engine.js';
import { createWorkerPool } from './worker-pool.js';

/**
 * `--sync local:H` or `hogwild` on Node worker threads: layout.local.W piscina threads running
 * @shardgrad/worker's local runner; a task per worker per chunk of steps and per average. A worker
 * that fails ends the run (exit code 1): replicas update θ in place, so a step cannot simply be run
 * again as in the step engine; the last checkpoint is kept.
 */
export async function localPoolEngine(ctx: EngineContext): Promise<LocalSyncEngine> {
  const layout = ctx.layout as LocalRunLayout;
  const { R, W, ranks } = layout.local;
  const tables = createLocalTables(R, W, true, ranks, layout.P);
  // across MPI ranks: the coordinator's thread exchanges with the other ranks at each chunk's end
  const link = ranks ? await connectLocalRanks(layout, ctx.memory, tables.exchange!) : undefined;
  const init: LocalRunnerInit = { layout, memory: ctx.memory, data: { X: ctx.data.X, Y: ctx.data.Y, order: ctx.data.order }, kernel: ctx.kernel, tables };
  const pool = createWorkerPool<LocalTask, void>(W, init, '@shardgrad/worker/local-runner');
  const backend = {
    run: async (tasks: readonly LocalTask[]) => {
      await Promise.all(tasks.map((t) => pool.run(t)));
    },
    close: () => pool.destroy(),
  };
  return new LocalSyncEngine(layout, ctx.data, tables, backend, false, link);
}
