/** Datasets: loaders for every source, all into SharedArrayBuffers. */
export * from './dataset.js';
export * from './mnist.js';
