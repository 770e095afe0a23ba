import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  deriveSeed,
  errors,
  evaluateParams,
  initParams,
  learningRate,
  paramLayout,
  Rng,
  SEED_STREAM,
  shuffleInPlace,
  stateSlots,
} from '@shardgrad/core';
import { createKernels, StepStatus } from '@shardgrad/worker';
import type { EpochEvent, TrainConfig, TrainEvent, TrainResult } from '../api.js';
import { createEngine } from '../engine/create-engine.js';
import { createSharedBuffers, toShared } from '../engine/shared-buffers.js';
import { readCheckpoint, writeCheckpoint, type LoopState } from './checkpoint.js';
import { fitOnRows, scaledInputs } from './preprocess-rows.js';
import { splitRows, type Split } from './split.js';
import { validateConfig } from './validate-config.js';

export type TrainListener = (event: TrainEvent) => void;
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The checkpoint file inside TrainConfig.checkpointDir (always the latest good state). */
export const CHECKPOINT_FILE = 'checkpoint.sgm';

/**
 * The data-parallel training loop. Construct with a TrainConfig (validated at once: bad settings
 * throw a one-line ShardgradError naming the flag), subscribe with `on`, then `run()`.
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

  constructor(readonly config: TrainConfig) {
    validateConfig(config);
    this.split = splitRows(config.data, config.valSplit, config.seed, config.batch);
  }

  /** Subscribes to step, epoch and checkpoint events; returns the unsubscribe function. */
  on(listener: TrainListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Asks the run to stop (a front end forwards SIGINT/SIGTERM here): the current step finishes, a
   * checkpoint is written (when checkpointDir is set) and run() resolves with stoppedBy = signal.
   */
  requestStop(signal: StopSignal): void {
    this.stopSignal ??= signal;
  }

  private emit(e: TrainEvent): void {
    for (const l of this.listeners) l(e);
  }

  async run(): Promise<TrainResult> {
    const c = this.config;
    const t0 = performance.now();
    const { train, val } = this.split;
    const layout = paramLayout(c.spec.sizes);
    const P = layout.total;
    const V = c.shards;
    const restored = c.resumeFrom ? readCheckpoint(c.resumeFrom, c, c.spec, stateSlots(c.optimizer.kind) * P) : undefined;
    const preprocess = restored?.preprocess ?? fitOnRows(c.preprocess, c.data.X, train, c.data.inputs);
    const X = toShared(scaledInputs(preprocess, c.data.X, c.data.inputs)); // (N, D), shared by every worker
    const Y = toShared(c.data.Y); // (N, C)
    const buffers = createSharedBuffers(c.spec, X, Y, train.length, V, c.optimizer);
    const state: LoopState = restored
      ? { ...restored.state, history: [...restored.state.history] }
      : { step: 0, epoch: 0, position: 0, lossSum: 0, history: [], bestValLoss: Infinity, sinceBest: 0 };
    if (restored) {
      buffers.params.set(restored.params);
      buffers.optState.set(restored.optState);
    } else {
      initParams(buffers.params, layout, c.init, deriveSeed(c.seed, SEED_STREAM.init));
    }
    // the epoch order is shuffled cumulatively, like trainLocal: replay the finished epochs' shuffles
    const rng = new Rng(deriveSeed(c.seed, SEED_STREAM.shuffle));
    buffers.order.set(train);
    for (let e = 0; e < state.epoch; e++) shuffleInPlace(buffers.order, rng);

    let checkpointPath: string | undefined;
    if (c.checkpointDir !== undefined) {
      try {
        mkdirSync(c.checkpointDir, { recursive: true });
      } catch (e) {
        throw errors.badInput('--checkpoint-dir', `cannot create ${c.checkpointDir} (${(e as NodeJS.ErrnoException).code})`);
      }
      checkpointPath = path.join(c.checkpointDir, CHECKPOINT_FILE);
    }
    let lastCheckpoint: string | undefined;
    const checkpoint = () => {
      if (!checkpointPath) return;
      writeCheckpoint(checkpointPath, c, preprocess, buffers.params, buffers.optState, state);
      lastCheckpoint = checkpointPath;
      this.emit({ type: 'checkpoint', path: checkpointPath, step: state.step });
    };

    const { kernels } = await createKernels(c.kernel);
    const stepsPerEpoch = Math.ceil(train.length / c.batch);
    const engine = await createEngine(c.workers, c.spec, V, buffers, c.optimizer, c.batch, c.kernel, c.stepMode);
    let stoppedBy: TrainResult['stoppedBy'];
    let workerRetries = 0;
    try {
      epochs: while (state.epoch < c.epochs) {
        shuffleInPlace(buffers.order, rng);
        const epochT0 = performance.now();
        let epochSamples = 0;
        while (state.position < stepsPerEpoch) {
          const start = state.position * c.batch;
          const end = Math.min(start + c.batch, train.length);
          const B = end - start;
          const t = state.step + 1;
          const stepT0 = performance.now();
          const status = await engine.step(t, start, end, learningRate(c.schedule, c.lr, state.step));
          if (status === StepStatus.lossNotFinite) throw errors.diverged(t, 'the loss is not finite');
          if (status === StepStatus.notFinite) throw errors.diverged(t, 'the gradient or the parameters are not finite');
          let loss = 0;
          for (let s = 0; s < V; s++) loss += buffers.shardLoss[s];
          state.step = t;
          state.position++;
          state.lossSum += loss;
          epochSamples += B;
          const now = performance.now();
          this.emit({ type: 'step', epoch: state.epoch + 1, step: t, stepsPerEpoch, loss: loss / B, samplesPerSec: B / ((now - stepT0) / 1000), elapsedMs: now - t0 });
          if (state.position === stepsPerEpoch) break; // the epoch end checkpoints and looks at stop requests
          if (c.checkpointEvery !== undefined && t % c.checkpointEvery === 0) checkpoint();
          if (this.stopSignal) {
            if (c.checkpointEvery === undefined || t % c.checkpointEvery !== 0) checkpoint();
            stoppedBy = this.stopSignal;
            break epochs;
          }
        }
        const v = val.length ? evaluateParams(c.spec, buffers.params, X, Y, val, kernels) : { loss: NaN, accuracy: NaN };
        const now = performance.now();
        const event: EpochEvent = {
          type: 'epoch',
          epoch: state.epoch + 1,
          step: state.step,
          trainLoss: state.lossSum / train.length,
          valLoss: v.loss,
          valAccuracy: v.accuracy,
          samplesPerSec: epochSamples / ((now - epochT0) / 1000),
          elapsedMs: now - t0,
        };
        state.history.push(event);
        if (v.loss < state.bestValLoss) {
          state.bestValLoss = v.loss;
          state.sinceBest = 0;
        } else if (Number.isFinite(v.loss)) {
          state.sinceBest++;
        }
        state.epoch++;
        state.position = 0;
        state.lossSum = 0;
        this.emit(event);
        checkpoint();
        if (c.earlyStop !== undefined && state.sinceBest >= c.earlyStop) {
          stoppedBy = 'early-stop';
          break;
        }
        if (this.stopSignal) {
          stoppedBy = this.stopSignal;
          break;
        }
      }
    } finally {
      workerRetries = engine.retries;
      await engine.close();
    }
    return {
      spec: c.spec,
      params: Float32Array.from(buffers.params),
      preprocess,
      history: state.history,
      steps: state.step,
      workerRetries,
      wallMs: performance.now() - t0,
      ...(stoppedBy ? { stoppedBy } : {}),
      ...(lastCheckpoint ? { lastCheckpoint } : {}),
    };
  }
}
