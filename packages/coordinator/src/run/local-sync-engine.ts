import { isSharedMemory, type Kernels, type MemoryRegion, type WasmMemory } from '@shardgrad/core';
import {
  createKernels,
  createLocalTables,
  LocalWorker,
  paramSlice,
  replicaRowsInRound,
  runLocalTask,
  StepStatus,
  type LocalRunLayout,
  type LocalTables,
  type LocalTask,
  type RunData,
  type StepStatusValue,
} from '@shardgrad/worker';
import type { EngineContext, Segment, SegmentResult, StepEngine, StepSink } from './step-engine.js';

/** Steps handed to the workers at once: a stop request is seen after at most this many (rounds are cut into chunks this long). */
const CHUNK = 16;

/** Runs tasks on the workers of a local-mode run: one per worker, all at once; resolves when every one is done. */
export interface LocalBackend {
  run(tasks: readonly LocalTask[]): Promise<void>;
  close(): Promise<void>;
}

/** Lets timers, I/O and signal handlers run between chunks in the calling thread. */
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r)) : () => new Promise((r) => setTimeout(r, 0));

/**
 * The engine of `--sync local:H` and `--sync hogwild` (worker/src/local.ts): the coordinator hands
 * each worker a chunk of steps for its replicas (no barrier per step: a worker runs its replicas'
 * steps on its own), and at the end of every round (H steps of the epoch, or the epoch's last,
 * shorter round) the workers average the replicas, each over its parameter slice. Per-step records
 * come back through shared tables and become step events in order.
 */
export class LocalSyncEngine implements StepEngine {
  lastMathMs = 0;
  readonly retries = 0;
  readonly workers: number;
  private stopRequested = false;
  private readonly oneLr = new Float64Array(1);
  private readonly stepTasks: { kind: 'steps'; w: number; t0: number; start: number; batch: number; rows: number; from: number; to: number }[];
  private readonly averageTasks: LocalTask[];

  constructor(
    readonly layout: LocalRunLayout,
    private readonly data: RunData,
    readonly tables: LocalTables,
    private readonly backend: LocalBackend,
    inProcess: boolean,
  ) {
    const { W } = layout.local;
    this.workers = inProcess ? 0 : W;
    this.stepTasks = Array.from({ length: W }, (_, w) => ({ kind: 'steps' as const, w, t0: 0, start: 0, batch: 0, rows: 0, from: 0, to: 0 }));
    this.averageTasks = Array.from({ length: W }, (_, w) => {
      const [p0, p1] = paramSlice(layout.P, W, w);
      return { kind: 'average' as const, w, p0, p1 };
    });
  }

  /** workers: 0 — the replicas run in the calling thread (one worker); `loadKernels` as InProcessEngine's. */
  static async inProcess(ctx: EngineContext, loadKernels?: (memory: WasmMemory, scratch: MemoryRegion) => Promise<Kernels>): Promise<LocalSyncEngine> {
    const layout = ctx.layout as LocalRunLayout;
    const tables = createLocalTables(layout.local.R, layout.local.W, isSharedMemory(ctx.memory));
    const load = loadKernels ?? (async (memory: WasmMemory, scratch: MemoryRegion) => (await createKernels(ctx.kernel, memory, scratch)).kernels);
    const workers = await Promise.all(layout.local.placement.map((_, w) => LocalWorker.create(layout, ctx.memory, w, ctx.data, tables, load)));
    const backend: LocalBackend = {
      async run(tasks) {
        await yieldToEventLoop();
        for (const task of tasks) runLocalTask(workers[task.w], task);
      },
      async close() {},
    };
    return new LocalSyncEngine(layout, ctx.data, tables, backend, true);
  }

  /** hogwild: the updates applied and their mean staleness (updates by other workers between a shard's read of θ and its write) */
  get staleness(): { readonly updates: number; readonly mean: number } | undefined {
    if (this.layout.local.sync.kind !== 'hogwild') return undefined;
    const { stale } = this.tables;
    let sum = 0;
    let updates = 0;
    for (let w = 0; w < stale.length; w += 2) {
      sum += stale[w];
      updates += stale[w + 1];
    }
    return { updates, mean: updates > 0 ? sum / updates : 0 };
  }

  async runSegment(seg: Segment, onStep: StepSink): Promise<SegmentResult> {
    const { local } = this.layout;
    const { R, W, sync } = local;
    const { lrs, loss, endMs, mathMs, failedAt, failStatus } = this.tables;
    lrs.set(seg.lrs.subarray(0, seg.count));
    failedAt.fill(-1);
    const H = sync.kind === 'local' ? sync.every : Infinity;
    // rounds are counted in the epoch's positions: they start at multiples of H, and the epoch's last step ends one
    const pos0 = Math.round(seg.start / seg.batch);
    const lastPos = Math.ceil(seg.rows / seg.batch) - 1;
    for (let i = 0; i < seg.count; ) {
      let j = i;
      let roundEnd = false;
      while (j < seg.count && j - i < CHUNK) {
        const p = pos0 + j++;
        if (sync.kind === 'local' && ((p + 1) % H === 0 || p === lastPos)) {
          roundEnd = true;
          break;
        }
      }
      for (const task of this.stepTasks) Object.assign(task, { t0: seg.t0, start: seg.start, batch: seg.batch, rows: seg.rows, from: i, to: j });
      await this.backend.run(this.stepTasks);
      // the first step some replica could not take ends the segment (the steps before it are completed)
      let failed = j;
      let status: StepStatusValue = StepStatus.ok;
      for (let r = 0; r < R; r++)
        if (failedAt[r] >= 0 && (failedAt[r] < failed || (failedAt[r] === failed && failStatus[r] > status))) [failed, status] = [failedAt[r], failStatus[r] as StepStatusValue];
      for (let k = i; k < failed; k++) {
        let l = 0;
        for (let r = 0; r < R; r++) l += loss[k * R + r];
        let end = 0;
        let math = 0;
        for (let w = 0; w < W; w++) {
          end = Math.max(end, endMs[k * W + w]);
          math = Math.max(math, mathMs[k * W + w]);
        }
        const start = seg.start + k * seg.batch;
        this.lastMathMs = math;
        onStep(k, l, Math.min(start + seg.batch, seg.rows) - start, end, math, NaN, NaN); // (no noise estimate: no batch-wide tree)
      }
      if (status !== StepStatus.ok) return { completed: failed, status, stopped: false };
      if (roundEnd) await this.average(pos0 + j - 1, seg);
      i = j;
      if (this.stopRequested && i < seg.count) return { completed: i, status: StepStatus.ok, stopped: true };
    }
    return { completed: seg.count, status: StepStatus.ok, stopped: this.stopRequested };
  }

  /** The average at the end of the round whose last step is at epoch position `last` (its first: the multiple of H before). */
  private async average(last: number, seg: Segment): Promise<void> {
    const { local, V } = this.layout;
    const sync = local.sync;
    if (sync.kind !== 'local') return;
    const { weights } = this.tables;
    const first = last - (last % sync.every);
    let total = 0;
    local.shards.forEach(([v0, v1], r) => {
      weights[r] = replicaRowsInRound(V, v0, v1, seg.batch, seg.rows, first, last);
      total += weights[r];
    });
    weights[local.R] = total;
    await this.backend.run(this.averageTasks);
  }

  /** One step (TrainingRun.step: the web demo, explain): a segment of one, at the run's batch; data.shardLoss gets each replica's loss at its first shard. */
  async step(t: number, start: number, _end: number, lr: number): Promise<StepStatusValue> {
    this.oneLr[0] = lr;
    const r = await this.runSegment({ t0: t, start, batch: this.layout.local.batch, rows: this.data.order.length, count: 1, lrs: this.oneLr }, () => {});
    const { shardLoss } = this.data;
    shardLoss.fill(0);
    this.layout.local.shards.forEach(([v0], q) => (shardLoss[v0] += this.tables.loss[q]));
    return r.status;
  }

  requestStop(): void {
    this.stopRequested = true;
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
