/**
 * @shardgrad/worker — what runs inside one worker, written once against the run's memory and
 * driven by piscina in Node (see runner.ts), by comlink in the browser and in-process alike.
 */
export * from './shards.js';
export * from './tree.js';
export * from './layout.js';
export * from './step.js';
export * from './kernels.js';
export * from './fault.js';
export * from './messages.js';
export * from './barrier.js';
export * from './exchange.js';
export * from './local.js';
export * from './comm.js';
