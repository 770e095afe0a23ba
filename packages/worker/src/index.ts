/**
 * @shardgrad/worker — the code that runs inside one worker thread. The data-parallel step
 * (shard gradients into shared regions, reduce-and-update of a parameter slice) lands here with
 * the data-parallel training issue; until then training runs in one thread (core's trainLocal).
 */
export const WORKER_PROTOCOL_VERSION = 0;
