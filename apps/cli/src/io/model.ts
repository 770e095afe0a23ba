import { decodeModelFile, type ModelFileContents } from '@shardgrad/core';
import { readFileOrFail } from './files.js';

/** Reads and validates a model (or checkpoint) file; every problem is one line naming the file. */
export function readModel(file: string): ModelFileContents {
  const bytes = readFileOrFail(file);
  return decodeModelFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** Whether a model predicts classes (softmax, or a sigmoid output trained on class targets). */
export function isClassifier(m: ModelFileContents): boolean {
  if (m.meta.task === 'classification') return true;
  if (m.meta.task === 'regression') return false;
  return m.spec.loss === 'ce' || m.spec.activations[m.spec.activations.length - 1] === 'sigmoid';
}
