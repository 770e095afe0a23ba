// node:worker_threads, not piscina: an installed coordinator and worker may each have their own copy
// of piscina, and only the copy that started the thread has its workerData set
import { workerData } from 'node:worker_threads';
import { arriveAndWait, backedIndex, CTRL, F64, PHASE } from './barrier.js';
import { createKernels } from './kernels.js';
import type { LoopTask, RunnerInit, RunnerReply, RunnerTask } from './messages.js';
import { StepStatus, WorkerStep } from './step.js';

/**
 * The piscina worker entry: one long loop task per worker for the whole run, stepped through the
 * control block. It attaches to the run's shared memory once per worker slot w (a thread that
 * takes over another slot after a crash attaches to that one too); a step allocates nothing.
 */
const init = workerData as RunnerInit;
const fault = init.fault;
const steps = new Map<number, WorkerStep>();

async function stepFor(w: number): Promise<WorkerStep> {
  let step = steps.get(w);
  if (!step) {
    const { kernels } = await createKernels(init.kernel, init.memory, init.layout.workers[w].kernelScratch);
    step = new WorkerStep(init.layout, init.memory, w, kernels, init.data);
    steps.set(w, step);
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

async function runLoop(task: LoopTask): Promise<RunnerReply> {
  const { ctrl, f64 } = init.control;
  const { w } = task;
  const W = init.layout.W;
  const V = init.layout.V;
  const step = await stepFor(w);
  const { shardLoss } = init.data;
  let seen = task.gen;
  for (;;) {
    Atomics.wait(ctrl, CTRL.GEN, seen);
    if (Atomics.load(ctrl, CTRL.ABORT) !== 0) return { finite: true };
    const gen = Atomics.load(ctrl, CTRL.GEN);
    if (gen === seen) continue; // spurious wake-up
    seen = gen;
    if (Atomics.load(ctrl, CTRL.PHASE) === PHASE.quit) return { finite: true };
    const t = ctrl[CTRL.STEP];
    const start = ctrl[CTRL.START];
    const end = ctrl[CTRL.END];
    const attempt = ctrl[CTRL.ATTEMPT];
    const t0 = performance.now();
    step.gradients(start, end);
    if (faultApplies('gradient', w, t, attempt)) {
      // a crash half-way through a write leaves garbage behind: the recomputation must overwrite it
      step.poisonSlot(step.mine.leaves[step.mine.leaves.length - 1].dst);
      fail();
    }
    f64[F64.timing(w)] = performance.now() - t0;
    if (!arriveAndWait(ctrl, W, t)) return { finite: true };
    const t1 = performance.now();
    // every worker sums the shard losses in the same order, so all take the same decision
    let loss = 0;
    for (let s = 0; s < V; s++) loss += shardLoss[s];
    let status: number = StepStatus.lossNotFinite;
    if (Number.isFinite(loss)) {
      step.backup();
      Atomics.store(ctrl, backedIndex(W, w), t);
      if (faultApplies('update', w, t, attempt)) {
        step.update(end - start, f64[F64.LR], t, true);
        fail();
      }
      status = step.update(end - start, f64[F64.LR], t) ? StepStatus.ok : StepStatus.notFinite;
    }
    f64[F64.timing(w) + 1] = performance.now() - t1;
    ctrl[CTRL.STATUS + w] = status;
    Atomics.add(ctrl, CTRL.DONE, 1);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

export default function runTask(task: RunnerTask): Promise<RunnerReply> {
  return runLoop(task);
}
