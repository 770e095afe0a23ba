/** @shardgrad/export: shardgrad models as ONNX, TensorFlow.js layers and safetensors files; ONNX MLPs back into shardgrad. */
import { errors } from '@shardgrad/core';
import type { ExportableModel } from './model.js';
import { exportOnnx } from './onnx/export-onnx.js';
import { exportSafetensors } from './safetensors/export-safetensors.js';
import { exportTfjs } from './tfjs/export-tfjs.js';

export type ExportFormat = 'onnx' | 'tfjs' | 'safetensors';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs', 'safetensors'];
export type { ExportableModel } from './model.js';
export { importOnnx, type ImportedModel } from './onnx/import-onnx.js';

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The files of `model` in `format`, names relative to the output folder: onnx → [model.onnx];
 * tfjs → [model.json, weights.bin]; safetensors → [model.safetensors]. ONNX and TF.js models take
 * raw features (the preprocessing is part of them) and output what `shardgrad predict` does;
 * safetensors holds the tensors and the preprocessing vectors (docs/export.md). A model that cannot
 * be exported is a one-line ShardgradError.
 */
export function exportModel(model: ExportableModel, format: ExportFormat): { name: string; bytes: Uint8Array }[] {
  if (!littleEndian) throw new Error('shardgrad exports need a little-endian host');
  switch (format) {
    case 'onnx':
      return [{ name: 'model.onnx', bytes: exportOnnx(model) }];
    case 'tfjs': {
      const { modelJson, weightsBin } = exportTfjs(model);
      return [
        { name: 'model.json', bytes: modelJson },
        { name: 'weights.bin', bytes: weightsBin },
      ];
    }
    case 'safetensors':
      return [{ name: 'model.safetensors', bytes: exportSafetensors(model) }];
    default:
      throw errors.badInput('format', `unknown export format ${JSON.stringify(format)} (one of ${EXPORT_FORMATS.join(', ')})`);
  }
}
