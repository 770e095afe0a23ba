/** The fewest rows a virtual shard has by default: a tree leaf of 4 rows costs 1.6× per row what one of 16 does (BENCHMARKS.md, "Small shards"). */
export const MIN_DEFAULT_SHARD_ROWS = 16;
/** The most virtual shards by default (as many workers as can share a batch). */
export const MAX_DEFAULT_SHARDS = 16;

/**
 * The number of virtual shards when none is given: batch / 16 rounded down, between 1 and 16 —
 * shards of at least 16 rows (64 → 4, 128 → 8, 256 and above → 16). A function of the batch alone,
 * never of the worker count, so the default run's weights are the same on any machine; more
 * workers than shards run as many as there are shards.
 */
export function defaultShards(batch: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_SHARDS, Math.floor(batch / MIN_DEFAULT_SHARD_ROWS)));
}
