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
  readonly samplesPerSec: number;
  readonly elapsedMs: number;
}

export interface EpochEvent {
  readonly type: 'epoch';
  /** 1-based epoch */
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly samplesPerSec: number;
  readonly elapsedMs: number;
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
