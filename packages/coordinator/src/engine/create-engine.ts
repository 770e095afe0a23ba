import { InProcessEngine } from '../run/in-process-engine.js';
import type { EngineContext, EngineFactory, StepEngine } from '../run/step-engine.js';
import { BarrierPoolEngine } from './barrier-pool-engine.js';

/**
 * Node's engines: `workers` 0 runs in the calling thread, otherwise layout.W piscina threads. Across
 * ranks (layout.ranks, MPI) always the thread pool: its worker 0 runs the exchange between ranks.
 */
export function nodeEngine(workers: number): EngineFactory {
  return (ctx: EngineContext): Promise<StepEngine> => (workers === 0 && !ctx.layout.exchange ? InProcessEngine.create(ctx) : BarrierPoolEngine.create(ctx));
}
