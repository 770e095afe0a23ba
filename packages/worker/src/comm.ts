/**
 * Communication between ranks, counted where it happens. The counters are a small Float64Array in
 * shared memory (the control block's `comm`): the thread that talks to MPI adds to them, the
 * coordinator's thread reads them between segments. Bytes are what each collective's counts say
 * this rank hands to the other ranks and gets from them (its own block to itself is not counted);
 * the algorithm MPI picks may route them differently (a ring forwards), but the sums over the ranks
 * agree. One process: no exchange, every counter stays 0.
 */
export const COMM = {
  /** bytes this rank sent to other ranks */
  sent: 0,
  /** bytes this rank received from other ranks */
  received: 1,
  /** rounds in which the ranks synchronized training (--sync step: one per step, whatever collectives it takes) */
  exchanges: 2,
  size: 3,
} as const;

/** What a run moved between ranks (this rank's view). */
export interface CommCounts {
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly exchanges: number;
}

/** The bytes of one collective for this rank: what it sends to and receives from the others. */
export interface CollectiveBytes {
  readonly sent: number;
  readonly received: number;
}

export const NO_COMM: CommCounts = { sentBytes: 0, receivedBytes: 0, exchanges: 0 };

export function createCommCounters(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(COMM.size * 8));
}

/** Adds one collective's bytes (allocates nothing: the hot path calls it). */
export function countCollective(comm: Float64Array, bytes: CollectiveBytes): void {
  comm[COMM.sent] += bytes.sent;
  comm[COMM.received] += bytes.received;
}

/** Adds one synchronization round (a step's exchange; a model average). */
export function countExchange(comm: Float64Array): void {
  comm[COMM.exchanges] += 1;
}

export function readComm(comm: Float64Array): CommCounts {
  return { sentBytes: comm[COMM.sent], receivedBytes: comm[COMM.received], exchanges: comm[COMM.exchanges] };
}

/** What moved from `before` to `now`. */
export function commSince(now: CommCounts, before: CommCounts): CommCounts {
  return { sentBytes: now.sentBytes - before.sentBytes, receivedBytes: now.receivedBytes - before.receivedBytes, exchanges: now.exchanges - before.exchanges };
}

/**
 * MPI_Allgatherv with `counts[r]` units of `unit` bytes from rank r: this rank sends its block to
 * each of the other R − 1 ranks and receives every other rank's block.
 */
export function allgathervBytes(counts: ArrayLike<number>, rank: number, unit = 1): CollectiveBytes {
  let received = 0;
  for (let r = 0; r < counts.length; r++) if (r !== rank) received += counts[r] * unit;
  return { sent: counts[rank] * unit * (counts.length - 1), received };
}

/** MPI_Alltoallv: what this rank sends to and receives from each other rank (its chunk to itself stays home). */
export function alltoallvBytes(sendCounts: ArrayLike<number>, recvCounts: ArrayLike<number>, rank: number): CollectiveBytes {
  let sent = 0;
  let received = 0;
  for (let r = 0; r < sendCounts.length; r++) {
    if (r === rank) continue;
    sent += sendCounts[r];
    received += recvCounts[r];
  }
  return { sent, received };
}

/** MPI_Allreduce of n bytes over R ranks, counted as the allgather of every rank's n bytes it can be done by. */
export function allreduceBytes(n: number, ranks: number): CollectiveBytes {
  return { sent: n * (ranks - 1), received: n * (ranks - 1) };
}
