import type { WorkerContext } from './step.js';

/**
 * A copy of θ and the optimizer state as they were before the step's update, so that an update a
 * worker died in the middle of (θ −= η·ḡ is not idempotent) can be undone and run again.
 * Shape letters: P parameters, S optimizer state slots.
 */
export interface UpdateBackup {
  /** (P) */
  readonly params: Float32Array;
  /** (S, P) */
  readonly optState: Float32Array;
}

/** Copies θ[p0:p1) and every state slot's [p0:p1) into the backup (plain loops: no views, no allocation). */
export function backupSlice(ctx: WorkerContext, backup: UpdateBackup, p0: number, p1: number): void {
  copySlice(ctx.buffers.params, ctx.buffers.optState, backup.params, backup.optState, ctx.P, p0, p1);
}

/** Puts θ[p0:p1) and its optimizer state back from the backup. */
export function restoreSlice(params: Float32Array, optState: Float32Array, backup: UpdateBackup, P: number, p0: number, p1: number): void {
  copySlice(backup.params, backup.optState, params, optState, P, p0, p1);
}

function copySlice(fromParams: Float32Array, fromState: Float32Array, toParams: Float32Array, toState: Float32Array, P: number, p0: number, p1: number): void {
  for (let i = p0; i < p1; i++) toParams[i] = fromParams[i];
  for (let off = 0; off < fromState.length; off += P) for (let i = p0; i < p1; i++) toState[off + i] = fromState[off + i];
}
