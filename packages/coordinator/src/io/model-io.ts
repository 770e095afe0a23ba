import { decodeModelFile, encodeModelFile, type DataDescription, type MLPSpec, type ModelFileContents, type Preprocess } from '@shardgrad/core';
import type { TrainResult } from '../api.js';
import { readFileOrFail, writeFileAtomic } from './files.js';

/** Reads a model or checkpoint file; missing, unreadable, corrupt or truncated files throw a one-line error naming it. */
export function readModelFile(path: string): ModelFileContents {
  const buf = readFileOrFail(path);
  return decodeModelFile(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** Saves a trained model (kind "model": spec, params, preprocessing, what the data was, a little metadata), atomically. */
export function saveModel(
  path: string,
  result: Pick<TrainResult, 'spec' | 'params' | 'preprocess' | 'steps' | 'history'>,
  meta: Record<string, unknown> = {},
  data?: DataDescription,
): void {
  writeFileAtomic(
    path,
    encodeModelFile({
      kind: 'model',
      spec: result.spec,
      tensors: new Map([['params', Float32Array.from(result.params)]]),
      preprocess: result.preprocess,
      meta: { steps: result.steps, epochs: result.history.length, ...meta },
      ...(data ? { data } : {}),
    }),
  );
}

export interface LoadedModel {
  readonly spec: MLPSpec;
  readonly params: Float32Array;
  readonly preprocess: Preprocess;
  readonly meta: Record<string, unknown>;
}

/** Loads a model file (a checkpoint works too: its parameters are a model). */
export function loadModel(path: string): LoadedModel {
  const c = readModelFile(path);
  return { spec: c.spec, params: c.tensors.get('params')!, preprocess: c.preprocess, meta: c.meta };
}
