/**
 * @shardgrad/worker — what runs inside one worker, written once against plain typed arrays and
 * driven by piscina in Node and by comlink in the browser.
 */
export * from './step.js';
