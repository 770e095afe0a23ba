import { applyPreprocess, fitPreprocess, type Preprocess } from '@shardgrad/core';
import { sharedFloat32 } from '../data/dataset.js';

/**
 * Fits `kind` on the given training rows of X (N, D) only — after the validation rows were carved
 * out, so validation never leaks into the scaling — with core's fitPreprocess.
 */
export function fitOnRows(kind: Preprocess['kind'], X: Float32Array, rows: Uint32Array, D: number): Preprocess {
  return fitPreprocess(kind, X, rows.length, D, rows); // in place: no gathered copy of the rows
}

/**
 * X scaled by p as one new shared copy, so the caller's dataset stays as loaded (a Trainer can run
 * twice on it); X itself when p is 'none'. One copy per run, shared by every worker.
 */
export function scaledInputs(p: Preprocess, X: Float32Array, D: number): Float32Array {
  if (p.kind === 'none') return X;
  const out = sharedFloat32(X.length); // (N, D)
  out.set(X);
  applyPreprocess(p, out, X.length / D, D);
  return out;
}
