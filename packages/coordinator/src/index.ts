/** @shardgrad/coordinator: data in shared buffers and the training loop. */
export * from './data/dataset.js';
export * from './data/mnist.js';
export * from './api.js';
