/**
 * @shardgrad/worker — what runs inside one worker, written once against plain typed arrays and
 * driven by piscina in Node (see runner.ts) and by comlink in the browser.
 */
export * from './step.js';
export * from './kernels.js';
export * from './fault.js';
export * from './messages.js';
export * from './barrier.js';
