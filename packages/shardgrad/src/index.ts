/**
 * shardgrad: train small neural networks (MLPs) data-parallel over worker threads from your own
 * arrays. `train({ x, y })` → Model; `model.predict(x)`, `model.evaluate(x, y)`, `model.save(path)`,
 * `loadModel(path)`. docs/api.md documents every export.
 */
export { train } from './train.js';
export { Trainer, type StoppedBy } from './trainer.js';
export { Model, loadModel, EXPORT_FORMATS, type Evaluation, type ExportFormat, type ModelParts, type TrainedModel, type TrainInfo } from './model.js';
export { DEFAULTS, defaultWorkers, MAX_WORKERS_PER_CORE, type OptimizerOption, type ScheduleOption, type TrainOptions } from './options.js';
export type { Inputs, Label, LabelOf, NumberRow, Targets, Task } from './data.js';
export type { EpochEvent, StepEvent, TrainerEvents, TrainerListener } from './events.js';
export { ShardgradError, ExitCode, isShardgradError, type MLPSpec, type Preprocess, type Activation, type Loss, type Initializer, type OptimizerKind } from '@shardgrad/core';
export type { CommCounts, KernelChoice } from '@shardgrad/worker';
export type { FaultSpec } from '@shardgrad/worker';
