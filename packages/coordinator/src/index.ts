/** @shardgrad/coordinator: data in shared buffers and the training loop. */
export * from './data/index.js';
export * from './api.js';
export * from './train/trainer.js';
export { resumeNotes, type NameOfSetting } from './train/checkpoint.js';
export { decidesBytes, firstSettingDifference, runSettingsRecord, type DecidesBytes, type SettingDifference } from './train/run-settings-record.js';
export { checkRunFits } from './train/run-size.js';
export { checkColumnNames } from './data/column-names.js';
export { splitRows, type Split } from './train/split.js';
export { fitOnRows, scaledInputs } from './train/preprocess-rows.js';
export { CHECKPOINT_FILE as DEFAULT_CHECKPOINT_NAME } from './train/trainer.js';
export { saveModel, loadModel, readModelFile, type LoadedModel } from './io/model-io.js';
export { checkFolderWritable, checkRegularFile, checkWritable, fsProblem, readFileOrFail, writeFileAtomic, writeTarget } from './io/files.js';
export { MAX_ATTEMPTS } from './engine/worker-pool.js';
export * from './run/index.js';
export { nodeEngine } from './engine/create-engine.js';
export { benchmarkLocal, benchmarkTraining, benchmarkWorkers, projectEfficiency, type BenchRow, type TrainBenchOptions, type TrainBenchRow, type WorkerBenchOptions, type WorkerBenchRow, type Spread } from './bench/benchmark-workers.js';
export * from './settings/schema.js';
export { traceBatch, type BatchTrace } from './explain/batch-trace.js';
