/** @shardgrad/coordinator: data in shared buffers and the training loop. */
export * from './data/index.js';
export * from './api.js';
