/**
 * The control block of the barrier step protocol: one small Int32Array (and a Float64Array for
 * the learning rate and timings) in shared memory. Workers sleep in Atomics.wait (a futex, never
 * a spin: spinning would starve a 2-core machine) until the coordinator bumps GEN; inside a step
 * they meet at a barrier between the gradient and the update phase without the coordinator.
 */
export const CTRL = {
  /** bumped by the coordinator to start a step (or quit) */
  GEN: 0,
  PHASE: 1,
  STEP: 2,
  START: 3,
  END: 4,
  ATTEMPT: 5,
  /** workers done with the current step */
  DONE: 6,
  /** workers that reached the mid-step barrier */
  ARRIVED: 7,
  BAR_GEN: 8,
  /** set by the coordinator when a worker failed: everybody leaves the loop */
  ABORT: 9,
  /** the last step whose barrier opened (after it, parameters may have changed) */
  PASSED: 10,
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
  /** STATUS + w: worker w's outcome of the step (StepStatus) */
  STATUS: 24,
} as const;

/**
 * Index of worker w's "backed up" word (of W workers): the step whose parameter-slice backup the
 * worker completed. A slice whose backup is complete can be restored after a failed update.
 */
export function backedIndex(W: number, w: number): number {
  return CTRL.STATUS + W + w;
}

/** step: run a step; quit: leave; sync (across ranks with slices): gather θ, and the optimizer state if CTRL.START is 1 */
export const PHASE = { step: 1, quit: 2, sync: 3 } as const;


/**
 * F64 slots: the step's learning rate, then per worker w its gradient and update math time (ms),
 * then (of W workers) the step's exchange between ranks (ms) and, with slices, its other
 * collectives: the gathering of θ the step began with and the agreement on its outcome (ms).
 */
export const F64 = { LR: 0, timing: (w: number) => 1 + 2 * w, exchange: (W: number) => 1 + 2 * W, slicesRest: (W: number) => 2 + 2 * W } as const;

export interface ControlBlock {
  /** (24 + 2W) int32: the fields above, STATUS per worker, backed-up step per worker */
  readonly ctrl: Int32Array;
  /** (3 + 2W) float64 */
  readonly f64: Float64Array;
}

export function createControlBlock(workers: number): ControlBlock {
  return {
    ctrl: new Int32Array(new SharedArrayBuffer((CTRL.STATUS + 2 * workers) * 4)),
    f64: new Float64Array(new SharedArrayBuffer((3 + 2 * workers) * 8)),
  };
}

/**
 * Waits until all W workers arrived (the last one opens the barrier and records `step` as
 * passed). Returns false if the coordinator aborted the step meanwhile.
 */
export function arriveAndWait(ctrl: Int32Array, W: number, step: number): boolean {
  const gen = Atomics.load(ctrl, CTRL.BAR_GEN);
  if (Atomics.add(ctrl, CTRL.ARRIVED, 1) + 1 === W) {
    Atomics.store(ctrl, CTRL.ARRIVED, 0);
    Atomics.store(ctrl, CTRL.PASSED, step);
    Atomics.add(ctrl, CTRL.BAR_GEN, 1);
    Atomics.notify(ctrl, CTRL.BAR_GEN);
    return true;
  }
  // the abort flag is stored before BAR_GEN is bumped, so checking it here cannot miss a wake-up
  while (Atomics.load(ctrl, CTRL.BAR_GEN) === gen && Atomics.load(ctrl, CTRL.ABORT) === 0) Atomics.wait(ctrl, CTRL.BAR_GEN, gen);
  return Atomics.load(ctrl, CTRL.ABORT) === 0;
}
