import { createCommCounters } from './comm.js';

/**
 * The control block of the step protocol: one small Int32Array (and Float64Arrays for the learning
 * rates, the per-step records and timings) in shared memory. The coordinator starts a segment of
 * steps (up to an epoch's end, a checkpoint or SEGMENT_MAX steps) by bumping GEN; the workers then
 * run every step of it among themselves, meeting at barriers (mid-step and end of step) without the
 * coordinator, and write one record per step into the ring that the coordinator drains on its own
 * time. Idle between segments, workers sleep in Atomics.wait on GEN.
 */
export const CTRL = {
  /** bumped by the coordinator to start a segment (or quit, or sync) */
  GEN: 0,
  PHASE: 1,
  /** the segment's first step t0 (1-based) */
  STEP: 2,
  /** the first row (in the epoch order) of the segment's first step */
  START: 3,
  /** the rows of the epoch: a step's batch ends at min(start + BATCH, END) */
  END: 4,
  /** failed tries of the segment's step FROM so far (fault tests count with it) */
  ATTEMPT: 5,
  /** workers that left the current segment */
  DONE: 6,
  BAR_GEN: 8,
  /** set by the coordinator when a worker failed: everybody leaves the loop */
  ABORT: 9,
  /** across ranks: the last step whose exchange completed (a step run again after a crash does not exchange twice) */
  EXCHANGED: 11,
  /** across ranks: set by the coordinator when a stop was asked for here; carried to every rank by the step's exchange */
  STOP_REQ: 12,
  /** across ranks: 1 after a step whose exchange carried some rank's stop request */
  STOP_ANY: 13,
  /** across ranks with slices: the last step whose θ slices every rank holds (gathered at the next step's start, or by a sync) */
  THETA_AT: 14,
  /** across ranks with slices: the last step whose statuses the ranks agreed on */
  AGREED: 15,
  /** across ranks with slices: the agreed status of step AGREED */
  AGREED_STATUS: 16,
  /** rows per step of the segment */
  BATCH: 17,
  /** steps in the segment (≤ SEGMENT_MAX) */
  COUNT: 18,
  /** index in the segment of the step to run first (> 0 after a failure: the steps before it are done) */
  FROM: 19,
  /** the last step completed (its record is in the ring, θ updated everywhere) */
  COMPLETED: 20,
  /** the outcome of the segment's last step (StepStatus, the worst over the workers) */
  SEG_STATUS: 21,
  /** 1 when the segment ended early on a stop request */
  SEG_STOPPED: 22,
  /** STATUS + w: worker w's outcome of the step (StepStatus) */
  STATUS: 24,
} as const;

/** The most steps one segment runs (the size of the learning-rate table and of the step ring). */
export const SEGMENT_MAX = 1024;

/** The ring's record of a step: its summed loss, rows, the wall clock at its end (ms since the epoch, shared by all threads), its math time (ms, slowest worker), and its live noise estimate |G|², tr(Σ) (NaN on a step that does not measure it). */
export const RECORD = { loss: 0, rows: 1, endMs: 2, mathMs: 3, gradSq: 4, traceSigma: 5, size: 6 } as const;

/** segment: run the steps of a segment; quit: leave; sync (across ranks with slices): gather θ, and the optimizer state if CTRL.START is 1 */
export const PHASE = { segment: 1, quit: 2, sync: 3 } as const;


/**
 * F64 slots: per worker w its gradient and update math time (ms), then (of W workers) the step's exchange between ranks (ms) and, with slices, its other
 * collectives: the gathering of θ the step began with and the agreement on its outcome (ms).
 */
export const F64 = { timing: (w: number) => 2 * w, exchange: (W: number) => 2 * W, slicesRest: (W: number) => 1 + 2 * W } as const;

export interface ControlBlock {
  /** (24 + W) int32: the fields above, then STATUS per worker */
  readonly ctrl: Int32Array;
  /** (2 + 2W) float64 */
  readonly f64: Float64Array;
  /** (SEGMENT_MAX) the learning rate of each step of the segment */
  readonly lrs: Float64Array;
  /** (SEGMENT_MAX, RECORD.size) one record per step of the segment, written at its end-of-step barrier */
  readonly ring: Float64Array;
  /** the barrier's arrival counters: one per node of its tree, each on a cache line of its own */
  readonly arrivals: Int32Array;
  /** (COMM.size) across ranks: bytes and exchanges between ranks so far (comm.ts), added by the thread that talks to MPI */
  readonly comm: Float64Array;
}

export function createControlBlock(workers: number): ControlBlock {
  return {
    ctrl: new Int32Array(new SharedArrayBuffer((CTRL.STATUS + workers) * 4)),
    f64: new Float64Array(new SharedArrayBuffer((2 + 2 * workers) * 8)),
    lrs: new Float64Array(new SharedArrayBuffer(SEGMENT_MAX * 8)),
    ring: new Float64Array(new SharedArrayBuffer(SEGMENT_MAX * RECORD.size * 8)),
    arrivals: new Int32Array(new SharedArrayBuffer(Math.max(1, treeNodes(workers)) * LINE_INTS * 4)),
    comm: createCommCounters(),
  };
}

/** Int32 words a cache line: the barrier's counters sit a line apart (no false sharing). */
const LINE_INTS = 16;
/** Arrivals a tree node counts before its last arrival goes up a level. */
const FAN_IN = 4;

/** Nodes of the barrier's arrival tree for W workers: ⌈W/4⌉ at the bottom, ⌈·/4⌉ above, to one root. */
function treeNodes(W: number): number {
  let total = 0;
  for (let n = W; ; ) {
    const nodes = Math.ceil(n / FAN_IN);
    total += nodes;
    if (nodes <= 1) return total;
    n = nodes;
  }
}

/**
 * Worker w's way up the barrier's arrival tree: per level, the counter it arrives at and how many
 * arrivals that node waits for. Up to 4 workers it is one node (a central counter); above, each
 * node counts at most 4 arrivals and its last arrival goes up, so an arrival costs O(log W)
 * uncontended atomics instead of one counter every worker hammers.
 */
export interface BarrierPath {
  readonly counters: Int32Array;
  /** this worker's polling budget (µs), adapted by arriveAndWait */
  budgetUs: number;
  /** barriers this worker waited at (every 64th polls with the full bound) */
  waits: number;
  /** per level: the counter's index in `counters` */
  readonly at: readonly number[];
  /** per level: the arrivals its node waits for */
  readonly need: readonly number[];
}

export function barrierPath(counters: Int32Array, W: number, w: number): BarrierPath {
  const at: number[] = [];
  const need: number[] = [];
  let base = 0;
  for (let n = W, i = w; ; ) {
    const nodes = Math.ceil(n / FAN_IN);
    const node = Math.floor(i / FAN_IN);
    at.push((base + node) * LINE_INTS);
    need.push(Math.min(FAN_IN, n - node * FAN_IN));
    if (nodes <= 1) return { counters, at, need, budgetUs: SPIN_US, waits: 0 };
    base += nodes;
    n = nodes;
    i = node;
  }
}

/** Wall clock in ms that every thread of the process reads alike (performance.now() has a time origin per thread). */
export function sharedClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The longest (µs) a worker polls an opening barrier before it sleeps (Atomics.wait) — used only
 * while every worker has a core of its own. Waking a sleeping thread on an idle virtual CPU costs
 * 70–160 µs on the 2-core VM (the CPU halts and the hypervisor must wake it), twice a step; but
 * when another process holds the waited-for worker's core, polling only delays it. So the budget
 * adapts per worker (BarrierPath.budgetUs): a wait that polling saw end keeps the budget at this
 * bound, a poll that ran out halves it, down to nothing; every 64th barrier tries the bound again
 * (BENCHMARKS.md, "The barrier").
 */
export const SPIN_US = 100;

/**
 * Waits until all workers arrived, up the arrival tree of `path`; the last one runs `last` (if
 * given) before it opens the barrier by bumping BAR_GEN, which every waiter watches. Waiting polls
 * BAR_GEN for up to the path's adaptive budget (at most `spinUs` µs), then sleeps. Returns false if
 * the coordinator aborted the step meanwhile.
 */
export function arriveAndWait(ctrl: Int32Array, path: BarrierPath, spinUs = 0, last?: () => void): boolean {
  const gen = Atomics.load(ctrl, CTRL.BAR_GEN);
  const { counters, at, need } = path;
  let up = true;
  for (let l = 0; l < at.length; l++) {
    if (Atomics.add(counters, at[l], 1) + 1 < need[l]) {
      up = false;
      break;
    }
    // the node's last arrival: every other arrival at it is waiting for BAR_GEN, so it can reset the node
    Atomics.store(counters, at[l], 0);
  }
  if (up) {
    last?.();
    Atomics.add(ctrl, CTRL.BAR_GEN, 1);
    Atomics.notify(ctrl, CTRL.BAR_GEN);
    return true;
  }
  if (spinUs > 0) {
    const budget = (++path.waits & 63) === 0 ? spinUs : path.budgetUs;
    if (budget > 0) {
      const until = performance.now() + budget / 1000;
      // the clock read every 64 polls: a poll is a load, a clock read costs tens of them
      do {
        for (let i = 0; i < 64; i++) {
          if (Atomics.load(ctrl, CTRL.BAR_GEN) !== gen) {
            path.budgetUs = spinUs;
            return Atomics.load(ctrl, CTRL.ABORT) === 0;
          }
        }
      } while (performance.now() < until);
      path.budgetUs = budget >= 2 ? budget / 2 : 0;
    }
  }
  // the abort flag is stored before BAR_GEN is bumped, so checking it here cannot miss a wake-up
  while (Atomics.load(ctrl, CTRL.BAR_GEN) === gen && Atomics.load(ctrl, CTRL.ABORT) === 0) Atomics.wait(ctrl, CTRL.BAR_GEN, gen);
  return Atomics.load(ctrl, CTRL.ABORT) === 0;
}
