import { rmSync } from 'node:fs';
import path from 'node:path';
import { checkWritable, writeFileAtomic, writeTarget } from '@shardgrad/coordinator';
import { errors, skipsSuffix } from '@shardgrad/core';
import type { ExportFormat } from '@shardgrad/export';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { readModel } from '../io/model.js';

interface ExportFlags {
  model: string;
  format: ExportFormat;
  out?: string;
}

const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs', 'safetensors'];

/** The file --out names for each format when it is not given; other files of the format go beside it. */
const DEFAULT_OUT: Record<ExportFormat, string> = { onnx: 'model.onnx', tfjs: 'model.json', safetensors: 'model.safetensors' };

export function registerExport(y: Argv): Argv {
  return y.command(
    'export',
    'Write a trained model as ONNX, a TensorFlow.js layers model or safetensors (docs/export.md)',
    (a) =>
      a
        .option('model', { type: 'string', demandOption: true, describe: 'model file written by shardgrad train (or imported)' })
        .option('format', { choices: EXPORT_FORMATS, demandOption: true, describe: 'onnx (opset 13), tfjs (model.json + weights.bin beside it) or safetensors' })
        .option('out', { type: 'string', describe: 'the file to write [default: model.onnx, model.json or model.safetensors]; tfjs writes weights.bin in the same folder' })
        .example('$0 export --model model.sgm --format onnx --out digits.onnx', 'for onnxruntime: input "input" (batch, 784) raw pixels, output "output" (batch, 10) probabilities')
        .example('$0 export --model model.sgm --format tfjs --out web/model.json', 'for tf.loadLayersModel: web/model.json and web/weights.bin')
        .example('$0 export --model model.sgm --format safetensors --out model.safetensors', 'the weights as (out, in) tensors, the architecture in __metadata__'),
    (argv) => runExport(argv as unknown as ExportFlags),
  );
}

function once(flag: string, value: unknown): string {
  if (Array.isArray(value)) throw errors.badInput(flag, `given ${value.length} times, give it once`);
  return String(value);
}

/**
 * Checks every target before any work (none may be the --model file, a folder, a device or in a
 * missing folder), builds the files, then writes each atomically. If a later file cannot be
 * written, the ones this run already wrote are removed, so no export is left half done.
 */
async function runExport(f: ExportFlags): Promise<void> {
  const modelPath = once('--model', f.model);
  const format = once('--format', f.format) as ExportFormat;
  const out = f.out === undefined ? DEFAULT_OUT[format] : once('--out', f.out);
  checkWritable('--out', out);
  const model = readModel(modelPath);
  // the data description (task, class names, columns) travels in the meta, for `shardgrad import`
  const meta = { ...model.meta, ...(model.data ? { dataDescription: model.data } : {}) };
  // loaded here, not at start-up: the ONNX protobuf code would slow every other command by a quarter second
  const { exportModel } = await import('@shardgrad/export');
  const files = exportModel({ spec: model.spec, params: model.tensors.get('params')!, preprocess: model.preprocess, meta }, format);
  // the first file is the one --out names; the others (weights.bin) go beside it under their own names
  const targets = files.map((file, i) => (i === 0 ? out : path.join(path.dirname(out), file.name)));
  const source = writeTarget(modelPath, '--model');
  for (const target of targets) {
    if (writeTarget(target, '--out') === source) throw errors.badInput('--out', `${target} is the --model file; write the export elsewhere`);
  }
  // the weights first: a model.json never names a weights.bin that is not there yet
  const order = files.map((_, i) => i).reverse();
  const written: string[] = [];
  try {
    for (const i of order) {
      writeFileAtomic(targets[i], files[i].bytes);
      written.push(targets[i]);
    }
  } catch (e) {
    for (const done of written) removeQuietly(done);
    throw e;
  }
  const { spec } = model;
  const what = `${spec.sizes.join('-')} ${spec.activations.join(',')}${skipsSuffix(spec)}, preprocessing ${model.preprocess.kind}`;
  print(`exported ${modelPath} (${what}) as ${format}: ${targets.join(', ')}\n`);
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // the write error is the one to report
  }
}
