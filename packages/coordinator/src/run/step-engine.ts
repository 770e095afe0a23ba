import type { WasmMemory } from '@shardgrad/core';
import type { CommCounts, FaultSpec, KernelChoice, RunData, RunLayout, StepStatusValue } from '@shardgrad/worker';

/**
 * Runs training steps over the run's memory: in-process, on Node worker threads, on browser Web
 * Workers. Every engine computes the same virtual shards and the same reduction tree, so all give
 * bit-identical parameters.
 */
export interface StepEngine {
  /** worker threads taking part (0 = in-process) */
  readonly workers: number;
  /**
   * One step t (1-based) on the batch order[start..end): every shard's loss into shardLoss and the
   * tree's subtree sums; then, if Σ shardLoss is finite, ḡ = sum/B and the optimizer update at `lr`.
   * Returns StepStatus: ok, lossNotFinite (θ untouched) or notFinite (ḡ or θ not finite).
   */
  step(t: number, start: number, end: number, lr: number): Promise<StepStatusValue>;
  /**
   * Optional: the steps t0 … t0 + count − 1 of one epoch, run by the workers among themselves
   * (no round trip through this thread per step). Step t0 + i trains on order[start + i·batch ..
   * min(start + (i+1)·batch, rows)) at lrs[i]. It ends early after a step that was not ok (not
   * counted as completed) or after the step at which a stop request was seen (requestStop). Each
   * completed step is reported to `onStep`, in order, while the segment runs and at its end.
   */
  runSegment?(segment: Segment, onStep: StepSink): Promise<SegmentResult>;
  /** time spent in gradient and update math on the critical path of the last step (ms) */
  readonly lastMathMs: number;
  /** failed worker attempts that were run again (crashes, throws, injected faults) */
  readonly retries: number;
  /** across ranks: the last step's exchange between ranks (ms) */
  readonly lastExchangeMs?: number;
  /** across ranks with slices: the last step's other collectives, the gathering of θ and the agreement on the outcome (ms) */
  readonly lastSlicesRestMs?: number;
  /** across ranks: what this rank sent to and received from the others so far, and the exchanges (absent: one process, nothing moves) */
  readonly comm?: CommCounts;
  /** a stop was asked for: a running segment ends after the current step (across ranks: the next step's exchange tells every rank, and all end after that step) */
  requestStop?(): void;
  /**
   * across ranks with the slices exchange: after it every rank holds all of θ (and, with `state`,
   * of the optimizer state) — each step leaves a rank only its own slice. Collective: every rank
   * calls it after the same steps.
   */
  sync?(state: boolean): Promise<void>;
  /** --sync hogwild: the updates applied so far and their mean staleness (other updates between a read of θ and the write) */
  readonly staleness?: { readonly updates: number; readonly mean: number } | undefined;
  /** across ranks: true after a step whose exchange carried some rank's stop request (every rank sees it after the same step) */
  readonly stopAgreed?: boolean;
  close(): Promise<void>;
}

/** A run of consecutive steps inside one epoch (see StepEngine.runSegment). */
export interface Segment {
  /** the first step (1-based) */
  readonly t0: number;
  /** the first row of step t0 in the epoch order */
  readonly start: number;
  /** rows per step (the last step of the epoch may have fewer) */
  readonly batch: number;
  /** rows in the epoch order */
  readonly rows: number;
  readonly count: number;
  /** (count) the learning rate of each step */
  readonly lrs: Float64Array;
}

/**
 * A completed step: its index in the segment, summed loss, rows, the wall clock at its end (ms,
 * sharedClockMs), its math time (ms) and its live noise estimate |G|², tr(Σ) (NaN when the step
 * did not measure it).
 */
export type StepSink = (i: number, loss: number, rows: number, endMs: number, mathMs: number, gradSq: number, traceSigma: number) => void;

export interface SegmentResult {
  /** steps completed (θ updated) */
  readonly completed: number;
  /** the outcome of the last step run: ok, or why the segment ended early */
  readonly status: StepStatusValue;
  /** the segment ended early on a stop request */
  readonly stopped: boolean;
}

/** What an engine is built over: the run's memory and layout (layout.W workers), its data and kernels. */
export interface EngineContext {
  readonly layout: RunLayout;
  readonly memory: WasmMemory;
  readonly data: RunData;
  readonly kernel: KernelChoice;
  /** a fault to inject into the workers (tests) */
  readonly fault?: FaultSpec;
}

/** Makes the engine of a run; `threads` = 0 asks for the in-process engine (layout.W is then 1). */
export type EngineFactory = (ctx: EngineContext) => Promise<StepEngine>;
