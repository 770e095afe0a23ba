import { ExitCode, ShardgradError } from '@shardgrad/core';
import {
  createControlBlock,
  CTRL,
  F64,
  PHASE,
  readComm,
  RECORD,
  SEGMENT_MAX,
  SPIN_US,
  StepStatus,
  type CommCounts,
  type RunnerInit,
  type RunnerReply,
  type RunnerTask,
  type StepStatusValue,
} from '@shardgrad/worker';
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import type { EngineContext, Segment, SegmentResult, StepEngine, StepSink } from '../run/step-engine.js';
import { createWorkerPool, MAX_ATTEMPTS } from './worker-pool.js';

/** How often the coordinator drains the step ring while a segment runs (events, progress bars). */
const DRAIN_MS = 50;
/** The longest the coordinator sleeps on DONE before it looks again (a safety net; DONE's notify wakes it). */
const WAIT_SLICE_MS = 1000;

/**
 * Node worker threads: each worker runs one long piscina task for the whole run and is driven
 * through a small shared control block. The coordinator starts a segment of steps (to the epoch's
 * end, a checkpoint, or SEGMENT_MAX steps) with one GEN bump; the workers then run every step of
 * it among themselves — each computes its contiguous range of virtual shards and publishes its
 * subtree sums, they meet at the mid-step barrier, each finishes the tree and updates its parameter
 * slice, and they meet at the end-of-step barrier, whose last arrival writes the step's record
 * into the ring and decides whether the segment goes on (a step not ok, a stop request). The
 * coordinator is on no step's path: it sleeps in Atomics.waitAsync on DONE and drains the ring
 * every DRAIN_MS for the events.
 *
 * θ and the optimizer state are double-buffered: a step reads one pair of buffers and writes the
 * other, and a step is committed by its end-of-step barrier (the next step reads what it wrote).
 * A worker that throws or exits: the others are told to leave (ABORT), piscina replaces the dead
 * thread, the loop tasks restart and the segment goes on from the failed step (the steps before it
 * are completed), which is recomputed from its untouched input buffers — no per-step copy of θ,
 * nothing to restore. Every partial sum is written afresh, so the result is unchanged.
 */
export class BarrierPoolEngine implements StepEngine {
  lastMathMs = 0;
  lastExchangeMs = 0;
  /** across ranks with slices: the step's gathering of θ and its agreement on the outcome (ms) */
  lastSlicesRestMs = 0;
  retries = 0;
  readonly workers: number;
  private readonly pool: Piscina<RunnerTask, RunnerReply>;
  private readonly ctrl: Int32Array;
  private readonly f64: Float64Array;
  private loops: Promise<RunnerReply>[] = [];
  /** the first loop task's failure, once the event loop has delivered it */
  private failure: { error: unknown } | undefined;
  /** resolves when `failure` is set (wakes the coordinator's wait) */
  private failed: Promise<void> = Promise.resolve();
  private signalFailure: () => void = () => {};
  /** for step(): a segment of one */
  private readonly oneLr = new Float64Array(1);

  constructor(private readonly init: RunnerInit) {
    this.workers = init.layout.W;
    this.pool = createWorkerPool(this.workers, init);
    this.ctrl = init.control.ctrl;
    this.f64 = init.control.f64;
    this.startLoops();
  }

  static async create(ctx: EngineContext): Promise<BarrierPoolEngine> {
    // poll at barriers only while every worker has a core of its own (the coordinator sleeps meanwhile)
    const spin = ctx.layout.W <= availableParallelism() ? SPIN_US : 0;
    return new BarrierPoolEngine({ ...ctx, control: createControlBlock(ctx.layout.W), spin });
  }

  private startLoops(): void {
    const gen = Atomics.load(this.ctrl, CTRL.GEN);
    this.failure = undefined;
    this.failed = new Promise<void>((resolve) => (this.signalFailure = resolve));
    const loops = Array.from({ length: this.workers }, (_, w) => this.pool.run({ kind: 'loop', w, gen }));
    this.loops = loops;
    Promise.race(loops).then(
      () => this.fail(loops, new Error('a worker loop ended unexpectedly')),
      (e: unknown) => this.fail(loops, e),
    );
  }

  /** Records the failure of the current loops (a late one from loops already replaced is ignored). */
  private fail(loops: Promise<RunnerReply>[], error: unknown): void {
    if (loops !== this.loops || this.failure) return;
    this.failure = { error };
    this.signalFailure();
  }

  /** Wakes the workers for the next generation (a segment, a sync or quit). */
  private bump(): void {
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
  }

  /**
   * Waits until every worker left the current generation (DONE = W), with the event loop free:
   * Atomics.waitAsync (the last worker's notify resolves it), raced against a worker's failure,
   * which piscina delivers on the event loop; `drain` runs every DRAIN_MS meanwhile.
   */
  private async waitDone(drain?: () => void): Promise<void> {
    const timer = drain ? setInterval(drain, DRAIN_MS) : undefined;
    try {
      for (;;) {
        if (this.failure) throw this.failure.error;
        const done = Atomics.load(this.ctrl, CTRL.DONE);
        if (done >= this.workers) return;
        const waited = Atomics.waitAsync(this.ctrl, CTRL.DONE, done, WAIT_SLICE_MS);
        if (waited.async) await Promise.race([waited.value, this.failed]);
      }
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  /** After a failure: make every loop leave, wait for all of them, and restart them on healthy threads (nothing to put back: a step writes only the buffers it does not read). */
  private async recover(): Promise<void> {
    const { ctrl } = this;
    Atomics.store(ctrl, CTRL.ABORT, 1); // stored before the bumps: a worker that checks it cannot sleep through
    Atomics.add(ctrl, CTRL.BAR_GEN, 1);
    Atomics.notify(ctrl, CTRL.BAR_GEN);
    this.bump();
    await Promise.allSettled(this.loops);
    Atomics.store(ctrl, CTRL.ABORT, 0);
    this.init.control.arrivals.fill(0); // (every loop has left: no arrival is counted any more)
    this.startLoops();
  }

  async runSegment(seg: Segment, onStep: StepSink): Promise<SegmentResult> {
    const { ctrl } = this;
    const { lrs, ring } = this.init.control;
    if (seg.count < 1 || seg.count > SEGMENT_MAX) throw new Error(`a segment runs 1 to ${SEGMENT_MAX} steps, not ${seg.count}`);
    lrs.set(seg.lrs.subarray(0, seg.count));
    ctrl[CTRL.STEP] = seg.t0;
    ctrl[CTRL.START] = seg.start;
    ctrl[CTRL.END] = seg.rows;
    ctrl[CTRL.BATCH] = seg.batch;
    ctrl[CTRL.COUNT] = seg.count;
    ctrl[CTRL.SEG_STATUS] = StepStatus.ok;
    ctrl[CTRL.SEG_STOPPED] = 0;
    Atomics.store(ctrl, CTRL.COMPLETED, seg.t0 - 1);
    let drained = 0;
    const drain = () => {
      const done = Atomics.load(ctrl, CTRL.COMPLETED) - seg.t0 + 1;
      for (; drained < done; drained++) {
        const r = drained * RECORD.size;
        this.lastMathMs = ring[r + RECORD.mathMs];
        onStep(drained, ring[r + RECORD.loss], ring[r + RECORD.rows], ring[r + RECORD.endMs], ring[r + RECORD.mathMs], ring[r + RECORD.gradSq], ring[r + RECORD.traceSigma]);
      }
    };
    for (let from = 0, attempt = 0; ; ) {
      ctrl[CTRL.FROM] = from;
      ctrl[CTRL.ATTEMPT] = attempt;
      ctrl[CTRL.PHASE] = PHASE.segment;
      Atomics.store(ctrl, CTRL.DONE, 0);
      this.bump();
      try {
        await this.waitDone(drain);
        break;
      } catch (e) {
        // the failed step: the first not completed (every step before it is, everywhere)
        const t = Atomics.load(ctrl, CTRL.COMPLETED) + 1;
        drain();
        if (t - seg.t0 !== from) [from, attempt] = [t - seg.t0, 0];
        if (attempt + 1 >= MAX_ATTEMPTS) {
          await this.recover();
          throw new ShardgradError(`a worker failed ${MAX_ATTEMPTS} times at step ${t}: ${(e as Error).message}`, ExitCode.trainingFailed);
        }
        attempt++;
        this.retries++;
        await this.recover();
      }
    }
    drain();
    if (this.init.layout.exchange) {
      this.lastExchangeMs = this.f64[F64.exchange(this.workers)];
      this.lastSlicesRestMs = this.f64[F64.slicesRest(this.workers)];
    }
    return { completed: drained, status: ctrl[CTRL.SEG_STATUS] as StepStatusValue, stopped: ctrl[CTRL.SEG_STOPPED] !== 0 };
  }

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    this.oneLr[0] = lr;
    const r = await this.runSegment({ t0: t, start, batch: end - start, rows: end, count: 1, lrs: this.oneLr }, () => {});
    return r.status;
  }

  async sync(state: boolean): Promise<void> {
    if (this.init.layout.exchange?.kind !== 'slices') return;
    const { ctrl } = this;
    ctrl[CTRL.STEP] = Atomics.load(ctrl, CTRL.COMPLETED);
    ctrl[CTRL.START] = state ? 1 : 0;
    ctrl[CTRL.PHASE] = PHASE.sync;
    Atomics.store(ctrl, CTRL.DONE, 0);
    this.bump();
    await this.waitDone();
  }

  get comm(): CommCounts | undefined {
    return this.init.layout.exchange ? readComm(this.init.control.comm) : undefined;
  }

  requestStop(): void {
    Atomics.store(this.ctrl, CTRL.STOP_REQ, 1);
  }

  get stopAgreed(): boolean {
    return Atomics.load(this.ctrl, CTRL.STOP_ANY) !== 0;
  }

  async close(): Promise<void> {
    this.ctrl[CTRL.PHASE] = PHASE.quit;
    this.bump();
    await Promise.allSettled(this.loops);
    await this.pool.destroy();
  }
}
