import { isSharedMemory, type Kernels, type MemoryRegion, type WasmMemory } from '@shardgrad/core';
import {
  createKernels,
  createLocalTables,
  LOCAL_CHUNK,
  LocalWorker,
  paramSlice,
  replicaRowsInRound,
  runLocalTask,
  StepStatus,
  type CommCounts,
  type LocalRankLink,
  type LocalRunLayout,
  type LocalTables,
  type LocalTask,
  type RunData,
  type StepStatusValue,
} from '@shardgrad/worker';
import type { EngineContext, Segment, SegmentResult, StepEngine, StepSink } from './step-engine.js';


/** Runs tasks on the workers of a local-mode run: one per worker, all at once; resolves when every one is done. */
export interface LocalBackend {
  run(tasks: readonly LocalTask[]): Promise<void>;
  close(): Promise<void>;
}

/** One rank's block of the exchange buffer: its header's words (stop, failedAt, failStatus) and its losses over a chunk. */
interface BlockViews {
  readonly q0: number;
  readonly n: number;
  readonly words: Int32Array;
  readonly losses: Float64Array;
}

/** Lets timers, I/O and signal handlers run between chunks in the calling thread. */
const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r)) : () => new Promise((r) => setTimeout(r, 0));

/**
 * The engine of `--sync local:H` and `--sync hogwild` (worker/src/local.ts): the coordinator hands
 * each worker a chunk of steps for its replicas (no barrier per step: a worker runs its replicas'
 * steps on its own), and at the end of every round (H steps of the epoch, or the epoch's last,
 * shorter round) the workers average the replicas, each over its parameter slice. Per-step records
 * come back through shared tables and become step events in order. Across MPI ranks (`link`) each
 * chunk ends with one exchange: every rank's losses, failures and stop word, and at a round's end
 * its node sums of the replica tree (LocalRankPlan); every rank then takes the same decisions and
 * evaluates the same average.
 */
export class LocalSyncEngine implements StepEngine {
  lastMathMs = 0;
  readonly retries = 0;
  readonly workers: number;
  private stopRequested = false;
  /** across ranks: some rank's stop request travelled with an exchange (every rank stops after the same chunk) */
  private stopAny = false;

  private readonly blocks: readonly BlockViews[];
  private readonly nodeTasks: LocalTask[];
  /** the most steps handed out at once: LOCAL_CHUNK in one process (a stop is seen that soon), a round across ranks (they meet once a round) */
  private readonly chunk: number;
  private readonly oneLr = new Float64Array(1);
  private readonly stepTasks: { kind: 'steps'; w: number; t0: number; start: number; batch: number; rows: number; from: number; to: number }[];
  private readonly averageTasks: { kind: 'average'; w: number; p0: number; p1: number }[];

  constructor(
    readonly layout: LocalRunLayout,
    private readonly data: RunData,
    readonly tables: LocalTables,
    private readonly backend: LocalBackend,
    inProcess: boolean,
    private readonly link?: LocalRankLink,
  ) {
    const { W, ranks } = layout.local;
    this.workers = inProcess ? 0 : W;
    this.chunk = ranks ? ranks.chunk : LOCAL_CHUNK;
    const buffer = tables.exchange?.buffer;
    this.blocks =
      ranks && buffer
        ? ranks.blocks.map((b, k) => {
            const [q0, q1] = ranks.replicas[k];
            const n = q1 - q0;
            return { q0, n, words: new Int32Array(buffer, b.at, 2 + 2 * n), losses: new Float64Array(buffer, b.at + 8 + 8 * n, ranks.chunk * n) };
          })
        : [];
    this.stepTasks = Array.from({ length: W }, (_, w) => ({ kind: 'steps' as const, w, t0: 0, start: 0, batch: 0, rows: 0, from: 0, to: 0 }));
    this.averageTasks = Array.from({ length: W }, (_, w) => {
      const [p0, p1] = paramSlice(layout.P, W, w);
      return { kind: 'average' as const, w, p0, p1 };
    });
    this.nodeTasks = this.averageTasks.map((t) => ({ ...t, kind: 'nodes' as const }));
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
      while (j < seg.count && j - i < this.chunk) {
        const p = pos0 + j++;
        if (sync.kind === 'local' && ((p + 1) % H === 0 || p === lastPos)) {
          roundEnd = true;
          break;
        }
      }
      for (const task of this.stepTasks) Object.assign(task, { t0: seg.t0, start: seg.start, batch: seg.batch, rows: seg.rows, from: i, to: j });
      await this.backend.run(this.stepTasks);
      if (this.link) {
        // across ranks: this rank's node sums (at a round's end), then one exchange of every rank's block
        if (roundEnd) {
          this.setWeights(pos0 + j - 1, seg);
          await this.backend.run(this.nodeTasks);
        }
        this.pack(i, j);
        await this.link.exchange(roundEnd);
        this.unpack(i, j);
      }
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
      if (roundEnd) {
        if (!this.link) this.setWeights(pos0 + j - 1, seg);
        await this.backend.run(this.averageTasks);
      }
      i = j;
      if (this.stopped && i < seg.count) return { completed: i, status: StepStatus.ok, stopped: true };
    }
    return { completed: seg.count, status: StepStatus.ok, stopped: this.stopped };
  }

  /** A stop asked for here, or across ranks asked for by any rank and agreed through an exchange. */
  private get stopped(): boolean {
    return this.link ? this.stopAny : this.stopRequested;
  }

  get stopAgreed(): boolean {
    return this.stopAny;
  }

  /** across ranks: what this rank sent and received, and the exchanges (absent: one process) */
  get comm(): CommCounts | undefined {
    return this.link?.comm;
  }

  /** Across ranks, before the exchange: this rank's stop word, its replicas' failures and their losses over the chunk's steps [i, j). */
  private pack(i: number, j: number): void {
    const { words, losses, q0, n } = this.blocks[this.layout.local.ranks!.rank];
    const { loss, failedAt, failStatus } = this.tables;
    const R = this.layout.local.R;
    words[0] = this.stopRequested ? 1 : 0;
    for (let r = 0; r < n; r++) {
      words[2 + r] = failedAt[q0 + r];
      words[2 + n + r] = failStatus[q0 + r];
      for (let k = i; k < j; k++) losses[(k - i) * n + r] = loss[k * R + q0 + r];
    }
  }

  /** After the exchange: every other rank's failures and losses into the tables, and whether any rank asked to stop. */
  private unpack(i: number, j: number): void {
    const { loss, failedAt, failStatus } = this.tables;
    const R = this.layout.local.R;
    this.blocks.forEach(({ words, losses, q0, n }, rank) => {
      if (words[0] !== 0) this.stopAny = true;
      if (rank === this.layout.local.ranks!.rank) return;
      for (let r = 0; r < n; r++) {
        failedAt[q0 + r] = words[2 + r];
        failStatus[q0 + r] = words[2 + n + r];
        for (let k = i; k < j; k++) loss[k * R + q0 + r] = losses[(k - i) * n + r];
      }
    });
  }

  /** The replicas' weights for the round whose last step is at epoch position `last` (its first: the multiple of H before): their rows in it. */
  private setWeights(last: number, seg: Segment): void {
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
  }

  /** Before a checkpoint (state = true), across ranks: every replica's θ and state on every rank. Collective. */
  async sync(state: boolean): Promise<void> {
    if (state && this.link) await this.link.gatherReplicas();
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
