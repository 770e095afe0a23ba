import { InProcessEngine } from '../run/in-process-engine.js';
import { LocalSyncEngine } from '../run/local-sync-engine.js';
import type { EngineContext, EngineFactory, StepEngine } from '../run/step-engine.js';
import { BarrierPoolEngine } from './barrier-pool-engine.js';
import { localPoolEngine } from './local-pool.js';

/**
 * Node's engines: `workers` 0 runs in the calling thread, otherwise layout.W piscina threads. Across
 * ranks (layout.ranks, MPI) always the thread pool: its worker 0 runs the exchange between ranks.
 * `--sync local:H` and `hogwild` (layout.local) have an engine of their own.
 */
export function nodeEngine(workers: number): EngineFactory {
  return (ctx: EngineContext): Promise<StepEngine> => {
    if (ctx.layout.local) return workers === 0 && !ctx.layout.local.ranks ? LocalSyncEngine.inProcess(ctx) : localPoolEngine(ctx);
    return workers === 0 && !ctx.layout.exchange ? InProcessEngine.create(ctx) : BarrierPoolEngine.create(ctx);
  };
}
