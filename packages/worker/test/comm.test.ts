// The bytes a collective moves for one rank, from its counts (comm.ts), and the shared counters.
import { describe, expect, it } from 'vitest';
import { allgathervBytes, allreduceBytes, alltoallvBytes, commSince, COMM, countCollective, countExchange, createCommCounters, readComm } from '../src/comm.js';

describe('communication counted per rank', () => {
  it('allgatherv: a rank sends its block to each other rank and receives theirs (3 ranks, blocks 10, 20, 30)', () => {
    expect(allgathervBytes([10, 20, 30], 0)).toEqual({ sent: 2 * 10, received: 20 + 30 });
    expect(allgathervBytes([10, 20, 30], 2)).toEqual({ sent: 2 * 30, received: 10 + 20 });
    // in floats: 4 bytes each
    expect(allgathervBytes([5, 7], 1, 4)).toEqual({ sent: 28, received: 20 });
    // over all ranks, what is sent is what is received
    const all = [0, 1, 2].map((r) => allgathervBytes([10, 20, 30], r));
    expect(all.reduce((n, b) => n + b.sent, 0)).toBe(all.reduce((n, b) => n + b.received, 0));
  });

  it('alltoallv: the chunk a rank keeps for itself is not counted', () => {
    expect(alltoallvBytes([1, 2, 3], [4, 5, 6], 1)).toEqual({ sent: 1 + 3, received: 4 + 6 });
  });

  it('allreduce of n bytes over R ranks counts as the allgather of every rank’s n', () => {
    expect(allreduceBytes(4, 3)).toEqual({ sent: 8, received: 8 });
  });

  it('the counters live in shared memory, add up, and differences give an epoch’s share', () => {
    const comm = createCommCounters();
    expect(comm.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(comm.length).toBe(COMM.size);
    countCollective(comm, { sent: 100, received: 60 });
    countExchange(comm);
    const first = readComm(comm);
    countCollective(comm, { sent: 100, received: 60 });
    countCollective(comm, { sent: 4, received: 4 });
    countExchange(comm);
    expect(readComm(comm)).toEqual({ sentBytes: 204, receivedBytes: 124, exchanges: 2 });
    expect(commSince(readComm(comm), first)).toEqual({ sentBytes: 104, receivedBytes: 64, exchanges: 1 });
  });
});
