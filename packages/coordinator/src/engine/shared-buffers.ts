import { paramLayout, stateSlots, type MLPSpec, type OptimizerConfig } from '@shardgrad/core';
import type { SharedTrainingBuffers } from '@shardgrad/worker';

/** A float32 / float64 / uint32 array over a fresh SharedArrayBuffer. */
function shared<T>(ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new ctor(new SharedArrayBuffer(length * ctor.BYTES_PER_ELEMENT));
}

/** Whether a typed array already lives in shared memory (then workers can view it in place). */
export function isShared(a: Float32Array | Uint32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** The array itself if it is shared, else one copy into a SharedArrayBuffer (once per run). */
export function toShared(a: Float32Array): Float32Array {
  if (isShared(a)) return a;
  const s = shared(Float32Array, a.length);
  s.set(a);
  return s;
}

/**
 * Every buffer of one run, created once. Shape letters: N rows, D inputs, C outputs, T training
 * rows, P parameters, V virtual shards.
 */
export function createSharedBuffers(
  spec: MLPSpec,
  X: Float32Array, // (N, D), shared
  Y: Float32Array, // (N, C), shared
  trainRows: number,
  V: number,
  optimizer: OptimizerConfig,
): SharedTrainingBuffers {
  const P = paramLayout(spec.sizes).total;
  return {
    X,
    Y,
    order: shared(Uint32Array, trainRows), // (T) the epoch's permutation of the training rows
    params: shared(Float32Array, P), // (P)
    shardGrads: shared(Float32Array, V * P), // (V, P)
    avgGrad: shared(Float32Array, P), // (P)
    shardLoss: shared(Float64Array, V), // (V)
    optState: shared(Float32Array, stateSlots(optimizer.kind) * P), // (slots, P)
  };
}

/** Bytes a run allocates besides the dataset: order, params, G, ḡ, losses, optimizer state. */
export function sharedBytes(b: SharedTrainingBuffers): number {
  return [b.order, b.params, b.shardGrads, b.avgGrad, b.shardLoss, b.optState].reduce((s, a) => s + a.byteLength, 0);
}
