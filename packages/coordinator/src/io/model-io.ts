import { readFileSync } from 'node:fs';
import { decodeModelFile, encodeModelFile, errors, type MLPSpec, type ModelFileContents, type Preprocess } from '@shardgrad/core';
import type { TrainResult } from '../api.js';
import { writeFileAtomic } from './atomic-write.js';

/** Reads a model or checkpoint file; missing, unreadable, corrupt or truncated files throw a one-line error naming it. */
export function readModelFile(path: string): ModelFileContents {
  let bytes: Uint8Array;
  try {
    const buf = readFileSync(path);
    // a plain Uint8Array view: Buffer#slice shares memory, which decodeModelFile's copy relies on not doing
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw errors.badInput(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a model file' : `cannot read (${code})`);
  }
  return decodeModelFile(bytes, path);
}

/** Saves a trained model (kind "model": spec, params, preprocessing, a little metadata), atomically. */
export function saveModel(path: string, result: TrainResult, meta: Record<string, unknown> = {}): void {
  writeFileAtomic(
    path,
    encodeModelFile({
      kind: 'model',
      spec: result.spec,
      tensors: new Map([['params', Float32Array.from(result.params)]]),
      preprocess: result.preprocess,
      meta: { steps: result.steps, epochs: result.history.length, ...meta },
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
