/** @shardgrad/coordinator/settings: the training settings schema — no Node import, so the web form checks through it. */
export * from './schema.js';
