// The WebAssembly kernels of @shardgrad/core (see src/kernels/wasm.ts for the JavaScript side and
// docs/kernels.md for the design): the module's exports, each file's own. Only this file imports
// the others' exports, so the files form no import cycle.
export * from './products';
export * from './step';
export * from './optimizers';
export { gemmTNLeaves } from './leaves';
export { noiseHalves } from './noise';
