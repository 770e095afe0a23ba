/** Datasets: loaders for every source, all into SharedArrayBuffers. */
export * from './dataset.js';
export * from './mnist.js';
export * from './csv.js';
export * from './csv-records.js';
export * from './idx.js';
export * from './synthetic.js';
export * from './split.js';
export * from './source.js';
export * from './prepare.js';
