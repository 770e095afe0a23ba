// node:worker_threads, not piscina: an installed coordinator and worker may each have their own copy
// of piscina, and only the copy that started the thread has its workerData set
import { workerData } from 'node:worker_threads';
import { arriveAndWait, barrierPath, CTRL, F64, PHASE, RECORD, sharedClockMs } from './barrier.js';
import { createKernels } from './kernels.js';
import type { LoopTask, RunnerInit, RunnerReply, RunnerTask } from './messages.js';
import { RankExchange } from './exchange.js';
import { noiseDue, noisePartialsView, StepStatus, WorkerStep, writeNoiseOfStep } from './step.js';

/**
 * The piscina worker entry: one long loop task per worker for the whole run, stepped through the
 * control block. It attaches to the run's shared memory once per worker slot w (a thread that
 * takes over another slot after a crash attaches to that one too); a step allocates nothing.
 */
const init = workerData as RunnerInit;
const fault = init.fault;
const steps = new Map<number, WorkerStep>();
/** each worker slot's way up the barrier's arrival tree */
const barrier = Array.from({ length: init.layout.W }, (_, w) => barrierPath(init.control.arrivals, init.layout.W, w));
/** the live noise estimate's partials (every worker writes its blocks; the end of a step reads them all) */
const noisePartials = noisePartialsView(init.memory, init.layout);
/** across ranks: worker 0 talks to the other ranks (@shardgrad/mpi, loaded when needed) */
let ranks: RankExchange | undefined;

async function loadExchange(): Promise<RankExchange> {
  const { loadMpi } = await import('@shardgrad/mpi');
  const loaded = loadMpi();
  if (!loaded.ok) throw new Error(loaded.reason);
  return new RankExchange(loaded.mpi, init.layout, init.memory, init.control.comm);
}

/** slices: θ as every rank left it after step t − 1, in θ's buffer b (once: a step run again after a crash finds it gathered). Returns its time, ms. */
function gatherParamsFor(ctrl: Int32Array, t: number, b: 0 | 1): number {
  if (Atomics.load(ctrl, CTRL.THETA_AT) === t - 1) return 0;
  const t0 = performance.now();
  ranks!.gatherParams(b);
  Atomics.store(ctrl, CTRL.THETA_AT, t - 1);
  return performance.now() - t0;
}

async function stepFor(w: number): Promise<WorkerStep> {
  let step = steps.get(w);
  if (!step) {
    const { kernels } = await createKernels(init.kernel, init.memory, init.layout.workers[w].kernelScratch);
    step = new WorkerStep(init.layout, init.memory, w, kernels, init.data);
    steps.set(w, step);
    if (w === 0 && init.layout.exchange) ranks ??= await loadExchange();
  }
  return step;
}

function faultApplies(phase: 'gradient' | 'update', w: number, step: number, attempt: number): boolean {
  return fault !== undefined && fault.phase === phase && attempt < fault.times && w === fault.worker && step === fault.step;
}

/** Ends this thread as a crash would (exit code 1), or throws from the task. */
function fail(): never {
  if (fault!.kind === 'exit') process.exit(1);
  throw new Error('injected fault (SHARDGRAD_FAULT)'); // the CLI's variable; the library takes the option `fault`
}

/** The outcome of one step in a worker: its status, or that the coordinator aborted it (a worker failed). */
const ABORTED = -1;

/**
 * One step t on the batch order[start..end) at learning rate lr, as worker w: gradients of its
 * shards, the mid-step barrier (and across ranks the exchange), the update of its parameter slice,
 * reading θ and the optimizer state from buffer `from` and writing them into the other one (so a
 * step that fails anywhere is simply run again: its inputs are untouched). Returns the worker's
 * StepStatus, or ABORTED. Allocates nothing.
 */
function runStep(step: WorkerStep, w: number, t: number, start: number, end: number, lr: number, attempt: number, from: 0 | 1): number {
  const { ctrl, f64 } = init.control;
  const W = init.layout.W;
  const V = init.layout.V;
  const spin = init.spin;
  const { shardLoss } = init.data;
  const slices = init.layout.exchange?.kind === 'slices';
  let gatherMs = 0;
  if (slices) {
    if (w === 0) gatherMs = gatherParamsFor(ctrl, t, from);
    if (!arriveAndWait(ctrl, barrier[w], spin)) return ABORTED;
  }
  const t0 = performance.now();
  step.gradients(start, end, from);
  if (faultApplies('gradient', w, t, attempt)) {
    // a crash half-way through a write leaves garbage behind: the recomputation must overwrite it
    step.poisonSlot(step.mine.leaves[step.mine.leaves.length - 1].dst);
    fail();
  }
  f64[F64.timing(w)] = performance.now() - t0;
  if (!arriveAndWait(ctrl, barrier[w], spin)) return ABORTED;
  if (init.layout.exchange) {
    // across ranks: this rank's nodes into what it sends; worker 0 exchanges (once a step, even when the step runs again)
    step.localTop();
    if (!arriveAndWait(ctrl, barrier[w], spin)) return ABORTED;
    if (w === 0) {
      if (Atomics.load(ctrl, CTRL.EXCHANGED) !== t) {
        // (a step run again after a crash keeps what it sent: the other ranks have it already)
        step.packExchange(Atomics.load(ctrl, CTRL.STOP_REQ));
        const tx = performance.now();
        ranks!.exchange();
        f64[F64.exchange(W)] = performance.now() - tx;
        Atomics.store(ctrl, CTRL.EXCHANGED, t);
      }
      if (step.unpackExchange()) Atomics.store(ctrl, CTRL.STOP_ANY, 1);
    }
    if (!arriveAndWait(ctrl, barrier[w], spin)) return ABORTED;
  }
  const t1 = performance.now();
  // every worker sums the shard losses in the same order, so all take the same decision
  let loss = 0;
  for (let s = 0; s < V; s++) loss += shardLoss[s];
  let status: number = StepStatus.lossNotFinite;
  if (Number.isFinite(loss)) {
    const to = from === 0 ? 1 : 0;
    if (faultApplies('update', w, t, attempt)) {
      step.update(end - start, lr, t, from, to, true);
      fail();
    }
    status = step.update(end - start, lr, t, from, to) ? StepStatus.ok : StepStatus.notFinite;
  }
  f64[F64.timing(w) + 1] = performance.now() - t1;
  ctrl[CTRL.STATUS + w] = status;
  if (slices) {
    // each rank checked its own slice: all ranks take the worst outcome
    if (!arriveAndWait(ctrl, barrier[w], spin)) return ABORTED;
    if (w === 0) {
      let worst = 0;
      for (let k = 0; k < W; k++) worst = Math.max(worst, ctrl[CTRL.STATUS + k]);
      if (Atomics.load(ctrl, CTRL.AGREED) !== t) {
        // (once a step: a step run again after a crash keeps the agreed outcome)
        const ta = performance.now();
        ctrl[CTRL.AGREED_STATUS] = ranks!.agreeStatus(worst);
        // each rank measured the noise over its own slice's blocks: every rank gets them all
        if (ctrl[CTRL.AGREED_STATUS] === StepStatus.ok && noiseDue(init.layout, t)) ranks!.gatherNoise();
        Atomics.store(ctrl, CTRL.AGREED, t);
        f64[F64.slicesRest(W)] = gatherMs + performance.now() - ta;
      }
      ctrl[CTRL.STATUS + 0] = ctrl[CTRL.AGREED_STATUS];
    }
  }
  return status;
}

/**
 * The end of step t, run by the last worker to reach the end-of-step barrier while the others wait:
 * every worker's status and timings are in, θ is updated everywhere. It writes the step's record
 * into the ring, decides whether the segment goes on (every worker reads that decision after the
 * barrier, so all leave after the same step) and marks the step completed if it was ok.
 */
function endStep(t: number, i: number, rows: number): void {
  const { ctrl, f64, ring } = init.control;
  const W = init.layout.W;
  const { shardLoss } = init.data;
  let status = 0;
  let gradMs = 0;
  let updateMs = 0;
  for (let k = 0; k < W; k++) {
    status = Math.max(status, ctrl[CTRL.STATUS + k]);
    gradMs = Math.max(gradMs, f64[F64.timing(k)]);
    updateMs = Math.max(updateMs, f64[F64.timing(k) + 1]);
  }
  let loss = 0;
  for (let s = 0; s < shardLoss.length; s++) loss += shardLoss[s];
  const r = i * RECORD.size;
  ring[r + RECORD.loss] = loss;
  ring[r + RECORD.rows] = rows;
  ring[r + RECORD.endMs] = sharedClockMs();
  ring[r + RECORD.mathMs] = gradMs + updateMs;
  if (status === StepStatus.ok && noiseDue(init.layout, t)) writeNoiseOfStep(init.layout, noisePartials, rows, ring, r + RECORD.gradSq);
  else ring[r + RECORD.gradSq] = ring[r + RECORD.traceSigma] = NaN;
  ctrl[CTRL.SEG_STATUS] = status;
  // one process: the coordinator's stop request, read here once; across ranks the request travels in the exchange
  const stop = init.layout.exchange ? Atomics.load(ctrl, CTRL.STOP_ANY) : Atomics.load(ctrl, CTRL.STOP_REQ);
  ctrl[CTRL.SEG_STOPPED] = stop !== 0 ? 1 : 0;
  // a step that was not ok is not completed: the run reports it as the step that failed
  if (status === StepStatus.ok) Atomics.store(ctrl, CTRL.COMPLETED, t);
}

/** The step the end-of-step barrier closes (set before it: the callback is made once, not per step). */
const ending = { t: 0, i: 0, rows: 0 };
const endStepNow = (): void => endStep(ending.t, ending.i, ending.rows);

async function runLoop(task: LoopTask): Promise<RunnerReply> {
  const { ctrl, lrs } = init.control;
  const { w } = task;
  const step = await stepFor(w);
  let seen = task.gen;
  for (;;) {
    Atomics.wait(ctrl, CTRL.GEN, seen);
    if (Atomics.load(ctrl, CTRL.ABORT) !== 0) return { finite: true };
    const gen = Atomics.load(ctrl, CTRL.GEN);
    if (gen === seen) continue; // spurious wake-up
    seen = gen;
    const phase = Atomics.load(ctrl, CTRL.PHASE);
    if (phase === PHASE.quit) return { finite: true };
    if (phase === PHASE.sync) {
      // across ranks with slices, between steps: all of θ (and the optimizer state) on every rank
      if (w === 0) {
        gatherParamsFor(ctrl, ctrl[CTRL.STEP] + 1, 0);
        if (ctrl[CTRL.START] === 1) ranks!.gatherState();
      }
      Atomics.add(ctrl, CTRL.DONE, 1);
      Atomics.notify(ctrl, CTRL.DONE);
      continue;
    }
    // a segment: steps t0 + i for i in [from, count), each ending at a barrier among the workers
    // only. θ and the optimizer state alternate between their two buffers: step i reads buffer
    // i mod 2 (the segment starts from the first) and writes the other.
    const t0 = ctrl[CTRL.STEP];
    const cursor = ctrl[CTRL.START];
    const T = ctrl[CTRL.END];
    const batch = ctrl[CTRL.BATCH];
    const count = ctrl[CTRL.COUNT];
    const attempt = ctrl[CTRL.ATTEMPT];
    const first = ctrl[CTRL.FROM];
    let completed = first; // steps of the segment whose θ is written
    for (let i = first; i < count; i++) {
      const t = t0 + i;
      const start = cursor + i * batch;
      const end = Math.min(start + batch, T);
      if (runStep(step, w, t, start, end, lrs[i], i === first ? attempt : 0, (i & 1) as 0 | 1) === ABORTED) return { finite: true };
      ending.t = t;
      ending.i = i;
      ending.rows = end - start;
      if (!arriveAndWait(ctrl, barrier[w], init.spin, endStepNow)) return { finite: true };
      if (ctrl[CTRL.SEG_STATUS] === StepStatus.ok) completed = i + 1;
      if (ctrl[CTRL.SEG_STATUS] !== StepStatus.ok || ctrl[CTRL.SEG_STOPPED] !== 0) break;
    }
    // between segments θ lives in the first buffers: after an odd number of steps, each worker's slice comes back
    if (completed & 1) step.copyBack();
    Atomics.add(ctrl, CTRL.DONE, 1);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

export default function runTask(task: RunnerTask): Promise<RunnerReply> {
  return runLoop(task);
}
