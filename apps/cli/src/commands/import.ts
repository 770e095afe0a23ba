import { checkWritable, readFileOrFail, writeFileAtomic, writeTarget } from '@shardgrad/coordinator';
import { decodeModelFile, encodeModelFile, errors, skipsSuffix, type DataDescription } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';

interface ImportFlags {
  model: string;
  out: string;
}

export function registerImport(y: Argv): Argv {
  return y.command(
    'import',
    'Read an ONNX MLP into a shardgrad model file, for predict and eval (docs/export.md)',
    (a) =>
      a
        .option('model', { type: 'string', demandOption: true, describe: 'ONNX file: Gemm or MatMul+Add layers with Relu, Sigmoid, Tanh, Softmax, optional leading Sub/Div scaling' })
        .option('out', { type: 'string', demandOption: true, describe: 'the shardgrad model file to write' })
        .example('$0 import --model mlp.onnx --out mlp.sgm', 'then: shardgrad predict --model mlp.sgm --input rows.csv'),
    (argv) => runImport(argv as unknown as ImportFlags),
  );
}

function once(flag: string, value: unknown): string {
  if (Array.isArray(value)) throw errors.badInput(flag, `given ${value.length} times, give it once`);
  return String(value);
}

/**
 * Reads the ONNX file, converts it (one line naming the file and the node for anything that is not
 * an MLP shardgrad can run) and writes the .sgm atomically. The file is decoded again before it is
 * written, so what lands on disk is a model every shardgrad command reads.
 */
async function runImport(f: ImportFlags): Promise<void> {
  const modelPath = once('--model', f.model);
  const out = once('--out', f.out);
  checkWritable('--out', out);
  const bytes = readFileOrFail(modelPath);
  if (writeTarget(out, '--out') === writeTarget(modelPath, '--model')) throw errors.badInput('--out', `${out} is the --model file; write the shardgrad model elsewhere`);
  const { importOnnx } = await import('@shardgrad/export'); // loaded here, not at start-up (see export.ts)
  const m = importOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), modelPath);
  // a shardgrad export carries the model's data description (task, class names) in its meta
  const { dataDescription: data, ...meta } = m.meta as Record<string, unknown> & { dataDescription?: DataDescription };
  const encoded = encodeModelFile({ kind: 'model', spec: m.spec, tensors: new Map([['params', m.params]]), preprocess: m.preprocess, meta, ...(data !== undefined ? { data } : {}) });
  try {
    decodeModelFile(encoded, modelPath);
  } catch (e) {
    throw errors.badInput(modelPath, `its shardgrad metadata is not usable (${(e as Error).message.replace(`${modelPath}: `, '')})`);
  }
  writeFileAtomic(out, encoded);
  const { spec } = m;
  print(`imported ${modelPath}: ${spec.sizes.join('-')} ${spec.activations.join(',')}${skipsSuffix(spec)} (loss ${spec.loss}), preprocessing ${m.preprocess.kind} → ${out}\n`);
}
