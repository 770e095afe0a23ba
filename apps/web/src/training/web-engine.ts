import { wrap, type Remote } from 'comlink';
import { LocalSyncEngine, type EngineContext, type LocalBackend, type StepEngine } from '@shardgrad/coordinator/run';
import { createLocalTables, StepStatus, type LocalRunLayout, type StepStatusValue } from '@shardgrad/worker';
import { withTimeout } from './call-timeout.js';
import type { KernelChoice } from './kernels.js';
import type { TrainWorker } from './train-worker.js';

const CALL_MS = 15_000;
const INIT_MS = 30_000;

/**
 * The browser's engine: layout.W Web Workers over the run's shared WebAssembly.Memory, stepped by
 * messages (comlink): every worker's gradients, then (`between`: the page copies what its views
 * need) every worker's update. Atomics.waitAsync is not in every browser, so the barrier is the
 * page awaiting all of phase 1 before starting phase 2.
 */
export class WebWorkerEngine implements StepEngine {
  readonly retries = 0;
  lastMathMs = 0;
  between: (() => void) | undefined;
  // kept referenced for the engine's life: a collected comlink proxy can drop calls (comlink #692)
  private readonly remotes: Remote<TrainWorker>[];
  private disposed = false;

  private constructor(
    private readonly threads: Worker[],
    private readonly ctx: EngineContext,
  ) {
    this.remotes = threads.map((w) => wrap<TrainWorker>(w));
  }

  get workers(): number {
    return this.threads.length;
  }

  static async create(ctx: EngineContext, kernels: KernelChoice, onError: (message: string) => void): Promise<WebWorkerEngine> {
    const engine = new WebWorkerEngine(startThreads(ctx.layout.W, onError), ctx);
    try {
      await Promise.all(
        engine.remotes.map((r, w) => withTimeout(r.init({ layout: ctx.layout, memory: ctx.memory, data: ctx.data, kernels, w }), INIT_MS, `worker ${w} init`)),
      );
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    const t0 = performance.now();
    await Promise.all(this.remotes.map((r, w) => withTimeout(r.gradients(start, end), CALL_MS, `worker ${w} gradients`)));
    this.between?.();
    let loss = 0;
    const { shardLoss } = this.ctx.data;
    for (let s = 0; s < shardLoss.length; s++) loss += shardLoss[s];
    if (!Number.isFinite(loss)) return StepStatus.lossNotFinite;
    const finite = await Promise.all(this.remotes.map((r, w) => withTimeout(r.update(end - start, lr, t), CALL_MS, `worker ${w} update`)));
    this.lastMathMs = performance.now() - t0;
    return finite.every(Boolean) ? StepStatus.ok : StepStatus.notFinite;
  }

  /** Stops the workers; pending calls are rejected by their timeouts. */
  async close(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.threads) w.terminate();
  }
}

/** W module Web Workers running train-worker.ts; a worker that fails to load or throws reports through `onError`. */
function startThreads(W: number, onError: (message: string) => void): Worker[] {
  const threads = Array.from({ length: W }, (_, w) => new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: `shardgrad-worker-${w}` }));
  for (const t of threads) t.addEventListener('error', (e) => onError(`worker failed: ${e.message || 'could not load'}`));
  return threads;
}

/**
 * --sync local:H and hogwild on the page's Web Workers: the coordinator's LocalSyncEngine with a
 * backend like Node's local pool (engine/local-pool.ts) — each worker holds a LocalWorker over the
 * run's shared memory and tables and runs its tasks; hogwild's workers then really race on θ.
 */
export async function webLocalEngine(ctx: EngineContext, kernel: KernelChoice, onError: (message: string) => void): Promise<LocalSyncEngine> {
  const layout = ctx.layout as LocalRunLayout;
  const { R, W } = layout.local;
  const tables = createLocalTables(R, W, true);
  const threads = startThreads(W, onError);
  const remotes = threads.map((t) => wrap<TrainWorker>(t));
  const backend: LocalBackend = {
    run: async (tasks) => {
      await Promise.all(tasks.map((task) => withTimeout(remotes[task.w].runLocal(task), CALL_MS, `worker ${task.w} ${task.kind}`)));
    },
    close: async () => {
      for (const t of threads) t.terminate();
    },
  };
  const data = { X: ctx.data.X, Y: ctx.data.Y, order: ctx.data.order };
  try {
    await Promise.all(remotes.map((r, w) => withTimeout(r.initLocal({ layout, memory: ctx.memory, data, kernel, tables, w }), INIT_MS, `worker ${w} init`)));
  } catch (e) {
    await backend.close();
    throw e;
  }
  return new LocalSyncEngine(layout, ctx.data, tables, backend, false);
}
