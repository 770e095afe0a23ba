/** @shardgrad/export: shardgrad models as ONNX, TensorFlow.js layers and safetensors files; ONNX MLPs back into shardgrad. */
import { errors } from '@shardgrad/core';
import type { ExportableModel } from './model.js';
import { exportOnnx } from './onnx/export-onnx.js';

export type ExportFormat = 'onnx' | 'tfjs' | 'safetensors';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs', 'safetensors'];
export type { ExportableModel } from './model.js';

/**
 * The files of `model` in `format`, names relative to the output folder: onnx → [model.onnx];
 * tfjs → [model.json, weights.bin]; safetensors → [model.safetensors]. Every format's model takes
 * raw features (the preprocessing is part of it) and outputs what `shardgrad predict` does
 * (docs/export.md). A model that cannot be exported is a one-line ShardgradError.
 */
export function exportModel(model: ExportableModel, format: ExportFormat): { name: string; bytes: Uint8Array }[] {
  switch (format) {
    case 'onnx':
      return [{ name: 'model.onnx', bytes: exportOnnx(model) }];
    default:
      throw errors.badInput('format', `unknown export format ${JSON.stringify(format)} (one of ${EXPORT_FORMATS.join(', ')})`);
  }
}
