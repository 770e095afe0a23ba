import type { MLPSpec, NoiseEstimate, Preprocess } from '@shardgrad/core';
import type { CommCounts, FaultSpec } from '@shardgrad/worker';
import type { Dataset } from './data/dataset.js';
import type { EpochEvent, StepEvent } from './run/events.js';
import type { RunSettings } from './run/training-run.js';
import type { KERNEL_CHOICES } from './settings/schema.js';

/**
 * The coordinator's public contract, shared by the CLI, the benchmark and the tests.
 * (Written before the implementation so the front ends and the trainer can be built side by side.)
 */

/** Where training data comes from; `parseDataFlag` turns the CLI's `--data` value into one. */
export type DataSource =
  | { readonly kind: 'mnist' }
  | {
      readonly kind: 'csv';
      readonly path: string;
      /** column holding the class index (default: the column named "label", else the last) */
      readonly labelColumn?: string | number;
      /** columns holding one-hot targets or regression targets, instead of a label column */
      readonly targetColumns?: readonly (string | number)[];
      readonly task?: 'classification' | 'regression';
      /** whether the first row is a header (default: detected) */
      readonly header?: boolean;
      /** a separate test file with the same columns: then every row of `path` trains */
      readonly testPath?: string;
      /** class names fixed by a trained model: labels must be among them, class k = classNames[k] */
      readonly classNames?: readonly string[];
      /** at least this many classes (a trained model's outputs), for files that lack the last ones */
      readonly classCount?: number;
    }
  | {
      readonly kind: 'idx';
      readonly images: string;
      readonly labels: string;
      /** a separate test pair (e.g. MNIST's t10k files): then no rows of the first pair are held out */
      readonly testImages?: string;
      readonly testLabels?: string;
    }
  | {
      readonly kind: 'synthetic';
      readonly name: 'xor' | 'circles' | 'spiral' | 'blobs';
      readonly samples?: number;
      readonly noise?: number;
      /** spiral arms or gaussian blobs (xor and circles always have 2) */
      readonly classes?: number;
    };

/** The kernels a run may use (settings/schema.ts: KERNEL_CHOICES). */
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/**
 * Everything one training run needs: the run's arithmetic (RunSettings: model, optimizer, η,
 * schedule, batch, epochs, shards, seed, init, early stopping) and the Node front end's part.
 * Validated by the trainer; bad values throw ShardgradError naming the field (settings/schema.ts).
 */
export interface TrainConfig extends RunSettings {
  readonly data: Dataset;
  /** worker threads; 0 runs the same step in the calling thread */
  readonly workers: number;
  /** fraction of the training rows held out for validation (0 = use the dataset's test split) */
  readonly valSplit: number;
  readonly preprocess: Preprocess['kind'];
  readonly checkpointDir?: string;
  /** also checkpoint every K steps (epoch ends always checkpoint when checkpointDir is set) */
  readonly checkpointEvery?: number;
  /** a checkpoint file to continue from */
  readonly resumeFrom?: string;
  /** fine-tune a trained model: θ starts from its params and its preprocessing is used as is (spec must be the model's) */
  readonly from?: { readonly params: Float32Array; readonly preprocess: Preprocess };
  readonly kernel: KernelChoice;
  /**
   * One process of several (MPI ranks, launched by mpirun; MPI already initialized in this
   * process): this rank's `workers` threads run its share of the shards, the ranks exchange
   * subtree sums every step, and every rank ends with the same θ. Only rank 0 writes checkpoints.
   */
  readonly distributed?: { readonly rank: number; readonly size: number; readonly exchange?: 'gather' | 'slices' };
  /** a worker fault to inject, for tests (the CLI reads it from SHARDGRAD_FAULT; the library reads no environment) */
  readonly fault?: FaultSpec;
  /**
   * Return θ of the epoch with the lowest validation loss (the first, on a tie), copied at that
   * epoch's end, instead of θ after the last step. Default false (the library's `restoreBest`).
   */
  readonly restoreBest?: boolean;
  /** the live gradient-noise estimate every N steps (0: off; default the schema's, every step) */
  readonly noiseEvery?: number;
}

export type { EpochEvent, StepEvent } from './run/events.js';
export type { CommCounts } from '@shardgrad/worker';

export interface CheckpointEvent {
  readonly type: 'checkpoint';
  readonly path: string;
  readonly step: number;
}

export type TrainEvent = StepEvent | EpochEvent | CheckpointEvent;

export interface TrainResult {
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  readonly history: readonly EpochEvent[];
  readonly steps: number;
  readonly wallMs: number;
  /** why training ended early, if it did ('abort': the caller asked, Trainer.requestStop('abort')) */
  readonly stoppedBy?: 'early-stop' | 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'abort';
  /** the last checkpoint written, if any */
  readonly lastCheckpoint?: string;
  /** with restoreBest: the epoch whose θ `params` holds */
  readonly restoredEpoch?: number;
  /** worker tasks that failed (crash or throw) and were recomputed on a fresh or the same worker */
  readonly workerRetries: number;
  /** the kernels in use (Kernels.name: native-avx512, wasm-relaxed, …), --kernel auto resolved */
  readonly kernel: string;
  /** the worker threads this process ran: `workers` clamped to the shards (of this rank); 0 = in the calling thread */
  readonly workers: number;
  /**
   * --sync hogwild: not reproducible (the workers race on θ); the updates applied and their mean
   * staleness (updates by other workers between an update's read of θ and its write)
   */
  readonly staleness?: { readonly updates: number; readonly mean: number };
  /** what this process sent to and received from other ranks during this run, and its exchanges (one process: all 0) */
  readonly comm: CommCounts;
  /** the smoothed gradient noise scale at the end (the last step event's noiseEma), when the run measured it */
  readonly noise?: NoiseEstimate;
}
