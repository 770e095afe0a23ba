/**
 * What a run reports and where it stands: types only, browser-safe, so that run/ imports nothing
 * from the Node-side folders (api.ts and train/checkpoint.ts re-export them).
 */
import type { NoiseEmaState, NoiseEstimate } from '@shardgrad/core';
import type { CommCounts } from '@shardgrad/worker';

export interface StepEvent {
  readonly type: 'step';
  readonly epoch: number;
  /** 1-based global step */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** samples in this step's batch (the epoch's last batch may be short) */
  readonly batchSize: number;
  /** mean loss of this batch */
  readonly loss: number;
  /** this step's rows over its wall time (from the previous step's end to its own) */
  readonly samplesPerSec: number;
  readonly elapsedMs: number;
  /** the step's gradient and update math on its slowest worker (ms); the rest of its wall time is barriers and hand-offs */
  readonly mathMs?: number;
  /**
   * On a step that measures it (--noise-every): the gradient noise scale from the two halves at
   * the top of the reduction tree — |G|², tr(Σ) and B_simple = tr(Σ)/|G|² of this step (noisy:
   * |G|² can even be negative) — and `noiseEma`, the run's exponential moving averages of |G|² and
   * tr(Σ) (decay 0.99, bias-corrected) and their ratio, the figure to read (docs/teaching.md).
   */
  readonly noise?: NoiseEstimate;
  readonly noiseEma?: NoiseEstimate;
}

export interface EpochEvent {
  readonly type: 'epoch';
  /** 1-based epoch */
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  /** the epoch's training rows over its training time (its validation afterwards not included) */
  readonly samplesPerSec: number;
  readonly elapsedMs: number;
  /** what this process sent to and received from other ranks since the previous epoch's event, and its exchanges (one process: all 0) */
  readonly comm: CommCounts;
  /** the smoothed gradient noise scale at the epoch's end (StepEvent.noiseEma), when the run measures it */
  readonly noise?: NoiseEstimate;
}

/** Where the training loop stands: everything besides θ and the optimizer state a resume needs. */
export interface LoopState {
  /** completed global steps */
  step: number;
  /** 0-based epoch in progress */
  epoch: number;
  /** batches already done in that epoch */
  position: number;
  /** Σ per-sample loss over the epoch's batches so far */
  lossSum: number;
  history: EpochEvent[];
  bestValLoss: number;
  sinceBest: number;
  /** the noise estimate's moving averages (a resumed run continues them) */
  noise?: NoiseEmaState;
}
