import type { SharedTrainingBuffers } from '@shardgrad/worker';

/** SharedTrainingBuffers plus the rows the worker evaluates on. */
export interface WebTrainingBuffers extends SharedTrainingBuffers {
  /** the validation rows of X / Y */
  readonly evalRows: Uint32Array;
}

export interface BufferSizes {
  /** N rows, D inputs, C outputs, P parameters, V virtual shards */
  readonly N: number;
  readonly D: number;
  readonly C: number;
  readonly P: number;
  readonly V: number;
  /** rows in the epoch order (the training split) and in the validation split */
  readonly trainRows: number;
  readonly evalRows: number;
  /** optimizer state floats per parameter */
  readonly stateSlots: number;
}

/**
 * Allocates every buffer of one run once. With `shared`, they live in SharedArrayBuffers that the
 * page and all workers view; without (a page that is not cross-origin isolated) in plain
 * ArrayBuffers, which a worker receives as a copy.
 */
export function allocateBuffers(z: BufferSizes, shared: boolean): WebTrainingBuffers {
  const bytes = (n: number, per: number) => (shared ? new SharedArrayBuffer(n * per) : new ArrayBuffer(n * per));
  const f32 = (n: number) => new Float32Array(bytes(n, 4));
  return {
    X: f32(z.N * z.D), // (N, D)
    Y: f32(z.N * z.C), // (N, C)
    order: new Uint32Array(bytes(z.trainRows, 4)), // (trainRows)
    params: f32(z.P), // (P)
    shardGrads: f32(z.V * z.P), // (V, P)
    avgGrad: f32(z.P), // (P)
    shardLoss: new Float64Array(bytes(z.V, 8)), // (V)
    optState: f32(z.stateSlots * z.P), // (stateSlots, P)
    evalRows: new Uint32Array(bytes(z.evalRows, 4)), // (evalRows)
  };
}
