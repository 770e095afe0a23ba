import { ExitCode, ShardgradError } from '@shardgrad/core';
import {
  backedIndex,
  createControlBlock,
  CTRL,
  F64,
  PHASE,
  restoreSlice,
  runViews,
  StepStatus,
  type RunnerInit,
  type RunnerReply,
  type RunnerTask,
  type StepStatusValue,
} from '@shardgrad/worker';
import type { Piscina } from 'piscina';
import type { EngineContext, StepEngine } from '../run/step-engine.js';
import { createWorkerPool, MAX_ATTEMPTS } from './worker-pool.js';

/** How long the main thread sleeps at a time while a step runs before it lets the event loop turn. */
const WAIT_SLICE_MS = 20;

/**
 * Node worker threads: each worker runs one long piscina task for the whole run and is stepped
 * through a small shared control block. Per step the coordinator writes the step descriptor, bumps
 * GEN and wakes the workers (Atomics.notify); each computes its own contiguous range of virtual
 * shards and publishes its subtree sums, they meet at a barrier among themselves, each finishes the
 * tree and updates its parameter slice, and they count DONE, which the coordinator awaits in a
 * blocking Atomics.wait of bounded slices (waitDone), turning its event loop between slices and
 * before every step, so that a worker dying and signals are noticed.
 *
 * A worker that throws or exits: the others are told to leave (ABORT), piscina replaces the dead
 * thread, the loop tasks restart and the whole step is recomputed. Before the barrier θ was not
 * touched yet; after it, every slice whose backup was completed this step is restored first (a
 * slice without one was never updated). Every partial sum is written afresh, so the result is unchanged.
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

  constructor(private readonly init: RunnerInit) {
    this.workers = init.layout.W;
    this.pool = createWorkerPool(this.workers, init);
    this.ctrl = init.control.ctrl;
    this.f64 = init.control.f64;
    this.startLoops();
  }

  static async create(ctx: EngineContext): Promise<BarrierPoolEngine> {
    return new BarrierPoolEngine({ ...ctx, control: createControlBlock(ctx.layout.W) });
  }

  private startLoops(): void {
    const gen = Atomics.load(this.ctrl, CTRL.GEN);
    this.failure = undefined;
    const loops = Array.from({ length: this.workers }, (_, w) => this.pool.run({ kind: 'loop', w, gen }));
    this.loops = loops;
    Promise.race(loops).then(
      () => this.fail(loops, new Error('a worker loop ended unexpectedly')),
      (e: unknown) => this.fail(loops, e),
    );
  }

  /** Records the failure of the current loops (a late one from loops already replaced is ignored). */
  private fail(loops: Promise<RunnerReply>[], error: unknown): void {
    if (loops === this.loops) this.failure ??= { error };
  }

  /** Wakes the workers for the next generation (a step or quit). */
  private bump(): void {
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
  }

  /**
   * Waits for every worker's DONE. The main thread sleeps in a blocking Atomics.wait — a futex the
   * last worker wakes directly (Atomics.waitAsync's wake-up is a task posted to the event loop:
   * slower on the 2-core VM, BENCHMARKS.md) — in slices of WAIT_SLICE_MS,
   * between which the event loop runs, so that a worker's death (which piscina delivers there) and
   * signals are noticed within a slice.
   */
  private async waitDone(): Promise<void> {
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.DONE);
      if (done >= this.workers) return;
      if (Atomics.wait(this.ctrl, CTRL.DONE, done, WAIT_SLICE_MS) === 'timed-out') {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.failure) throw this.failure.error;
      }
    }
  }

  /** After a failure: make every loop leave, wait for all of them, and restart them on healthy threads. */
  private async recover(t: number): Promise<void> {
    const { ctrl } = this;
    Atomics.store(ctrl, CTRL.ABORT, 1); // stored before the bumps: a worker that checks it cannot sleep through
    Atomics.add(ctrl, CTRL.BAR_GEN, 1);
    Atomics.notify(ctrl, CTRL.BAR_GEN);
    this.bump();
    await Promise.allSettled(this.loops);
    if (Atomics.load(ctrl, CTRL.PASSED) === t) {
      // the update had begun: put back θ_t and its optimizer state (failure path only: O(P) once)
      const views = runViews(this.init.memory, this.init.layout);
      for (let w = 0; w < this.workers; w++) {
        if (Atomics.load(ctrl, backedIndex(this.workers, w)) === t) restoreSlice(views, this.init.layout, w);
      }
    }
    Atomics.store(ctrl, CTRL.ABORT, 0);
    Atomics.store(ctrl, CTRL.ARRIVED, 0);
    this.startLoops();
  }

  async step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue> {
    const { ctrl, f64 } = this;
    // waitDone sleeps without the event loop: give it a turn (signals, timers, piscina) before every step
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let attempt = 0; ; attempt++) {
      ctrl[CTRL.STEP] = t;
      ctrl[CTRL.START] = start;
      ctrl[CTRL.END] = end;
      ctrl[CTRL.ATTEMPT] = attempt;
      ctrl[CTRL.PHASE] = PHASE.step;
      f64[F64.LR] = lr;
      Atomics.store(ctrl, CTRL.DONE, 0);
      this.bump();
      try {
        await this.waitDone();
        break;
      } catch (e) {
        if (attempt + 1 >= MAX_ATTEMPTS) {
          await this.recover(t);
          throw new ShardgradError(`a worker failed ${MAX_ATTEMPTS} times at step ${t}: ${(e as Error).message}`, ExitCode.trainingFailed);
        }
        this.retries++;
        await this.recover(t);
      }
    }
    let status: StepStatusValue = StepStatus.ok;
    let gradMs = 0;
    let updateMs = 0;
    for (let w = 0; w < this.workers; w++) {
      status = Math.max(status, ctrl[CTRL.STATUS + w]) as StepStatusValue;
      gradMs = Math.max(gradMs, f64[F64.timing(w)]);
      updateMs = Math.max(updateMs, f64[F64.timing(w) + 1]);
    }
    this.lastMathMs = gradMs + updateMs;
    if (this.init.layout.exchange) {
      this.lastExchangeMs = f64[F64.exchange(this.workers)];
      this.lastSlicesRestMs = f64[F64.slicesRest(this.workers)];
    }
    return status;
  }

  async sync(state: boolean): Promise<void> {
    if (this.init.layout.exchange?.kind !== 'slices') return;
    const { ctrl } = this;
    ctrl[CTRL.START] = state ? 1 : 0;
    ctrl[CTRL.PHASE] = PHASE.sync;
    Atomics.store(ctrl, CTRL.DONE, 0);
    this.bump();
    await this.waitDone();
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
