import type { CommCounts } from '@shardgrad/worker';

/**
 * What a run reports and where it stands: types only, browser-safe, so that run/ imports nothing
 * from the Node-side folders (api.ts and train/checkpoint.ts re-export them).
 */

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
}
