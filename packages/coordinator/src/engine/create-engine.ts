import { InProcessEngine } from '../run/in-process-engine.js';
import type { EngineContext, EngineFactory, StepEngine } from '../run/step-engine.js';
import { BarrierPoolEngine } from './barrier-pool-engine.js';

/** Node's engines: `workers` 0 runs in the calling thread, otherwise layout.W piscina threads. */
export function nodeEngine(workers: number): EngineFactory {
  return (ctx: EngineContext): Promise<StepEngine> => (workers === 0 ? InProcessEngine.create(ctx) : BarrierPoolEngine.create(ctx));
}
