import type { WasmMemory } from '@shardgrad/core';
import type { FaultSpec, KernelChoice, RunData, RunLayout, StepStatusValue } from '@shardgrad/worker';

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
  /** time spent in gradient and update math on the critical path of the last step (ms) */
  readonly lastMathMs: number;
  /** failed worker attempts that were run again (crashes, throws, injected faults) */
  readonly retries: number;
  /** across ranks: the last step's exchange between ranks (ms) */
  readonly lastExchangeMs?: number;
  /** across ranks with slices: the last step's other collectives, the gathering of θ and the agreement on the outcome (ms) */
  readonly lastSlicesRestMs?: number;
  /** across ranks: a stop was asked for here; the next step's exchange tells every rank */
  requestStop?(): void;
  /**
   * across ranks with the slices exchange: after it every rank holds all of θ (and, with `state`,
   * of the optimizer state) — each step leaves a rank only its own slice. Collective: every rank
   * calls it after the same steps.
   */
  sync?(state: boolean): Promise<void>;
  /** across ranks: true after a step whose exchange carried some rank's stop request (every rank sees it after the same step) */
  readonly stopAgreed?: boolean;
  close(): Promise<void>;
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
