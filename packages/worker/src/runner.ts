import { workerData } from 'piscina';
import { arriveAndWait, CTRL, F64, PHASE, StepStatus } from './barrier.js';
import { parseFaultSpec, FAULT_ENV } from './fault.js';
import { createKernels } from './kernels.js';
import type { LoopTask, RunnerInit, RunnerReply, RunnerTask } from './messages.js';
import { computeShardGradient, createWorkerContext, paramSlice, reduceAndUpdate, shardBound, sliceIsFinite } from './step.js';

/**
 * The piscina worker entry: attaches once to the shared buffers in workerData, then runs step
 * tasks (one message per phase) or one long loop task stepped through the control block.
 * Everything it touches per step was allocated here, at start-up.
 */
const init = workerData as RunnerInit;
const fault = parseFaultSpec(process.env[FAULT_ENV]);
const backend = await createKernels(init.kernel);
const ctx = createWorkerContext(init.spec, init.V, init.buffers, backend.kernels, init.optimizer, init.capacity, backend.allocate);

/** Computes the shards [s0, s1) of batch [start, end) into G. */
function gradients(s0: number, s1: number, start: number, end: number): void {
  for (let s = s0; s < s1; s++) computeShardGradient(ctx, s, shardBound(start, end, init.V, s), shardBound(start, end, init.V, s + 1));
}

/**
 * The fault switch: on the first attempt of the named step, the named worker fails after its
 * gradients, before reporting — leaving the last shard it wrote filled with NaN, as a crash half-way
 * through a write would. The recomputation must overwrite it.
 */
function maybeFail(w: number, step: number, attempt: number, lastShard: number): void {
  if (!fault || attempt !== 0 || w !== fault.worker || step !== fault.step) return;
  if (lastShard >= 0) ctx.shardViews[lastShard].fill(Number.NaN);
  if (fault.kind === 'exit') process.exit(70);
  throw new Error(`injected fault (${FAULT_ENV})`);
}

/**
 * Claims shards of the step one at a time until none is left: a worker slowed down by the OS (other
 * processes on a busy machine) simply computes fewer shards. Which worker computes a shard never
 * changes its G[s], so the result stays bit-identical.
 */
function claimShards(ctrl: Int32Array, start: number, end: number): number {
  let last = -1;
  for (let s = Atomics.add(ctrl, CTRL.NEXT_SHARD, 1); s < init.V; s = Atomics.add(ctrl, CTRL.NEXT_SHARD, 1)) {
    gradients(s, s + 1, start, end);
    last = s;
  }
  return last;
}

function runLoop(task: LoopTask): RunnerReply {
  const { ctrl, f64 } = init.control;
  const { w, W } = task;
  const [p0, p1] = paramSlice(ctx.P, W, w);
  const { shardLoss } = init.buffers;
  let seen = task.gen;
  for (;;) {
    Atomics.wait(ctrl, CTRL.GEN, seen);
    if (Atomics.load(ctrl, CTRL.ABORT) !== 0) return { mathMs: 0, finite: true };
    const gen = Atomics.load(ctrl, CTRL.GEN);
    if (gen === seen) continue; // spurious wake-up
    seen = gen;
    if (Atomics.load(ctrl, CTRL.PHASE) === PHASE.quit) return { mathMs: 0, finite: true };
    const step = ctrl[CTRL.STEP];
    const start = ctrl[CTRL.START];
    const end = ctrl[CTRL.END];
    const t0 = performance.now();
    const last = claimShards(ctrl, start, end);
    maybeFail(w, step, ctrl[CTRL.ATTEMPT], last);
    f64[F64.timing(w)] = performance.now() - t0;
    if (!arriveAndWait(ctrl, W, step)) return { mathMs: 0, finite: true };
    const t1 = performance.now();
    // every worker sums the shard losses in the same order, so all take the same decision
    let loss = 0;
    for (let s = 0; s < init.V; s++) loss += shardLoss[s];
    let status: number = StepStatus.lossNotFinite;
    if (Number.isFinite(loss)) {
      reduceAndUpdate(ctx, p0, p1, end - start, f64[F64.LR], step);
      status = sliceIsFinite(ctx, p0, p1) ? StepStatus.ok : StepStatus.notFinite;
    }
    f64[F64.timing(w) + 1] = performance.now() - t1;
    ctrl[CTRL.STATUS + w] = status;
    Atomics.add(ctrl, CTRL.DONE, 1);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

export default function runTask(task: RunnerTask): RunnerReply {
  const t0 = performance.now();
  switch (task.kind) {
    case 'loop':
      return runLoop(task);
    case 'gradient':
      gradients(task.s0, task.s1, task.start, task.end);
      maybeFail(task.w, task.step, task.attempt, task.s1 - 1);
      return { mathMs: performance.now() - t0, finite: true };
    case 'update':
      reduceAndUpdate(ctx, task.p0, task.p1, task.batchSize, task.lr, task.step);
      return { mathMs: performance.now() - t0, finite: sliceIsFinite(ctx, task.p0, task.p1) };
  }
}
