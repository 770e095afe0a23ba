import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { errors, specLayout, stateSlots } from '@shardgrad/core';
import { createKernels, localStateFloats, NO_COMM } from '@shardgrad/worker';
import type { TrainConfig, TrainEvent, TrainResult } from '../api.js';
import { sharedFloat32 } from '../data/dataset.js';
import { nodeEngine } from '../engine/create-engine.js';
import { TrainingRun } from '../run/training-run.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { fitOnRows, scaledInputs } from './preprocess-rows.js';
import { checkRunFits } from './run-size.js';
import { splitRows, type Split } from './split.js';
import { DEFAULTS } from '../settings/schema.js';
import { validateConfig } from './validate-config.js';

export type TrainListener = (event: TrainEvent) => void;
/** Why a stop was asked for: a signal (the CLI) or the caller (the library's stop() and AbortSignal). */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'abort';

/** The checkpoint file inside TrainConfig.checkpointDir (always the latest good state). */
export const CHECKPOINT_FILE = 'checkpoint.sgm';

/** The array itself if it lives in a SharedArrayBuffer (workers view it in place), else one shared copy, once per run. */
function toShared(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = sharedFloat32(a.length);
  s.set(a);
  return s;
}

/**
 * The data-parallel training loop in Node: files, checkpoints and the worker pool around the
 * TrainingRun that the browser runs too. Construct with a TrainConfig (validated at once: bad settings
 * throw a one-line ShardgradError naming the field), subscribe with `on`, then `run()`. The library's
 * Trainer (packages/shardgrad) is a facade over this one.
 *
 * Promises: the same seed, data and hyper-parameters give bit-identical weights for any number of
 * workers (0 = in-process) and across a stop/resume; a worker crash is retried without changing
 * the result; a NaN or infinite loss or gradient rejects with exit code 1 naming the step and
 * leaves the last checkpoint untouched.
 */
export class Trainer {
  private readonly listeners = new Set<TrainListener>();
  private stopSignal: StopSignal | undefined;
  private readonly split: Split;
  private started = false;

  constructor(readonly config: TrainConfig) {
    validateConfig(config);
    checkRunFits(config); // before any memory: a run too large for wasm memory or this machine is one line
    this.split = splitRows(config.data, config.valSplit, config.seed, config.batch);
  }

  /** Subscribes to step, epoch and checkpoint events; returns the unsubscribe function. */
  on(listener: TrainListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Asks the run to stop (a front end forwards SIGINT/SIGTERM/SIGHUP here): the current step finishes, a
   * checkpoint is written (when checkpointDir is set) and run() resolves with stoppedBy = signal.
   */
  requestStop(signal: StopSignal): void {
    this.stopSignal ??= signal;
    this.engineStop?.();
  }

  private checkpointStep: number | undefined;

  /** The rows held out for validation (valSplit's, or the data's test rows). */
  get validationRows(): number {
    return this.split.val.length;
  }

  /** The step of the last checkpoint written in this run (rank 0 writes them across ranks), if any. */
  lastCheckpointStep(): number | undefined {
    return this.checkpointStep;
  }

  /** across ranks: tells the engine, whose next exchange carries the request to every rank */
  private engineStop: (() => void) | undefined;

  private emit(e: TrainEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Runs the training once (a Trainer is single-use). */
  async run(): Promise<TrainResult> {
    if (this.started) throw errors.badInput('Trainer.run', 'was already called; make a new Trainer for another run');
    this.started = true;
    const c = this.config;
    const t0 = performance.now();
    const { train, val } = this.split;
    const P = specLayout(c.spec).total;
    // the local modes keep every replica's θ and state (and DiLoCo's outer momentum) with the optimizer state
    const stateLength = c.sync ? localStateFloats(P, stateSlots(c.optimizer.kind), c.sync) : stateSlots(c.optimizer.kind) * P;
    const restored = c.resumeFrom ? readCheckpoint(c.resumeFrom, c, c.spec, stateLength) : undefined;
    const preprocess = restored?.preprocess ?? c.from?.preprocess ?? fitOnRows(c.preprocess, c.data.X, train, c.data.inputs);
    const X = toShared(scaledInputs(preprocess, c.data.X, c.data.inputs)); // (N, D), shared by every worker
    const Y = toShared(c.data.Y); // (N, C)

    let checkpointPath: string | undefined;
    if (c.checkpointDir !== undefined) {
      try {
        mkdirSync(c.checkpointDir, { recursive: true });
      } catch (e) {
        throw errors.badSetting('checkpointDir', `cannot create the directory ${c.checkpointDir} (${(e as NodeJS.ErrnoException).code})`);
      }
      checkpointPath = path.join(c.checkpointDir, CHECKPOINT_FILE);
    }

    const { kernels: evalKernels } = await createKernels(c.kernel);
    const fault = c.fault;
    const run = await TrainingRun.create(c, { X, Y, train, val }, {
      workers: c.workers,
      kernel: c.kernel,
      engine: nodeEngine(c.workers),
      evalKernels,
      ...(restored ? { resume: { params: restored.params, optState: restored.optState, state: restored.state } } : {}),
      ...(c.from ? { initialParams: c.from.params } : {}),
      ...(fault ? { fault } : {}),
      ...(c.distributed ? { ranks: c.distributed } : {}),
      noiseEvery: c.noiseEvery ?? DEFAULTS.noiseEvery,
    });
    // a stop request reaches the run's workers at once (their next end of step); across ranks every
    // rank stops after the same step: the first whose exchange carried a request
    const distributed = c.distributed !== undefined && c.distributed.size > 1;
    this.engineStop = () => run.requestStop();
    if (this.stopSignal) this.engineStop();
    const stopNow = (): StopSignal | undefined => (distributed ? (run.engine.stopAgreed ? (this.stopSignal ?? 'SIGTERM') : undefined) : this.stopSignal);
    let lastCheckpoint: string | undefined;
    const checkpoint = async () => {
      if (!checkpointPath) return;
      await run.sync(true); // (across ranks with slices: every rank, the same steps)
      this.checkpointStep = run.state.step; // (across ranks, rank 0 writes it: every rank knows which)
      if ((c.distributed?.rank ?? 0) !== 0) return;
      writeCheckpoint(checkpointPath, c, preprocess, run.views.params, run.views.optState, run.state);
      lastCheckpoint = checkpointPath;
      this.emit({ type: 'checkpoint', path: checkpointPath, step: run.state.step });
    };
    let stoppedBy: TrainResult['stoppedBy'] = distributed ? undefined : this.stopSignal; // asked before the first step
    let workerRetries = 0;
    let staleness: TrainResult['staleness'];
    let comm = NO_COMM;
    // restoreBest: θ of the epoch with the lowest validation loss, copied at that epoch's end (never per step)
    let best: { params: Float32Array; epoch: number; valLoss: number } | undefined;
    try {
      while (!run.finished && !stoppedBy) {
        // the workers run the epoch up to its end, the next checkpoint or a stop request
        const every = c.checkpointEvery;
        const maxSteps = every !== undefined && checkpointPath ? every - (run.state.step % every) : undefined;
        const { epoch } = await run.advance({ ...(maxSteps !== undefined ? { maxSteps } : {}), onStep: (e) => this.emit(e) });
        if (epoch) {
          if (c.restoreBest && epoch.valLoss < (best?.valLoss ?? Infinity)) {
            best ??= { params: new Float32Array(run.views.params.length), epoch: 0, valLoss: Infinity };
            best.params.set(run.views.params); // (across ranks: the epoch's end gathered all of θ)
            best.epoch = epoch.epoch;
            best.valLoss = epoch.valLoss;
          }
          // the epoch end checkpoints and looks at stop requests
          this.emit(epoch);
          await checkpoint();
          if (run.stoppedEarly) stoppedBy = 'early-stop';
          else stoppedBy = stopNow();
          if (stoppedBy) break;
          continue;
        }
        const due = every !== undefined && run.state.step % every === 0;
        if (due) await checkpoint();
        const stop = stopNow();
        if (stop) {
          if (!due) await checkpoint();
          stoppedBy = stop;
          break;
        }
      }
      await run.sync(false);
    } finally {
      workerRetries = run.engine.retries;
      staleness = run.engine.staleness;
      comm = run.comm;
      await run.close();
    }
    return {
      spec: c.spec,
      params: best ? best.params : run.params(),
      preprocess,
      history: run.state.history,
      steps: run.state.step,
      workerRetries,
      kernel: evalKernels.name,
      // the worker threads that ran: at most one per shard of this rank; 0 = in the calling thread
      workers: run.engine.workers === 0 ? 0 : run.layout.W,
      wallMs: performance.now() - t0,
      comm,
      ...(stoppedBy ? { stoppedBy } : {}),
      ...(lastCheckpoint ? { lastCheckpoint } : {}),
      ...(best ? { restoredEpoch: best.epoch } : {}),
      ...(staleness ? { staleness } : {}),
      ...(run.noise ? { noise: run.noise } : {}),
    };
  }
}
