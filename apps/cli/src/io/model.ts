import { readModelFile } from '@shardgrad/coordinator';
import { unprotectedHeaderWarning, type ModelFileContents } from '@shardgrad/core';

/**
 * Reads and validates a model (or checkpoint) file; every problem is one line naming the file. A
 * file in an older format, whose header the checksum does not cover, loads with one warning line.
 */
export function readModel(file: string): ModelFileContents {
  const m = readModelFile(file);
  if (m.unprotectedHeader) process.stderr.write(`shardgrad: ${unprotectedHeaderWarning(file)}\n`);
  return m;
}

/** The model's task: from its data description, else (older files) from its metadata. */
function taskOf(m: ModelFileContents): unknown {
  return m.data?.task ?? m.meta.task;
}

/** Whether a model predicts classes (softmax, or a sigmoid output trained on class targets). */
export function isClassifier(m: ModelFileContents): boolean {
  const task = taskOf(m);
  if (task === 'classification') return true;
  if (task === 'regression') return false;
  return m.spec.loss === 'ce' || m.spec.activations[m.spec.activations.length - 1] === 'sigmoid';
}

/** The class names saved with the model (class k = names[k]), or undefined for class indices. */
export function classNamesOf(m: ModelFileContents): readonly string[] | undefined {
  return m.data?.classes;
}
