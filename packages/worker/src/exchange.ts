import { noiseBlocksOf, type WasmMemory } from '@shardgrad/core';
import { allgathervBytes, allreduceBytes, alltoallvBytes, countCollective, countExchange, type CollectiveBytes } from './comm.js';
import type { RunLayout } from './layout.js';

/** The MPI calls a rank's exchange makes (the synchronous forms of @shardgrad/mpi: any thread may call them). */
interface Collectives {
  allgathervSync(view: Uint8Array | Float32Array, counts: ArrayLike<number>, displs: ArrayLike<number>): void;
  alltoallvSync(send: Uint8Array, sendCounts: ArrayLike<number>, sendDispls: ArrayLike<number>, recv: Uint8Array, recvCounts: ArrayLike<number>, recvDispls: ArrayLike<number>): void;
  allreduceSync(view: Int32Array, op: 'max'): void;
}

/**
 * What moves between ranks, over the run's memory in place (layout.exchange; nothing is copied
 * into MPI's own buffers by this code). Made once per thread that talks to MPI (worker 0 of each
 * rank); every call is collective: every rank makes the same calls in the same order.
 */
export class RankExchange {
  /** what this rank sends and what it receives (gather: the same blocks, in place; slices: apart, as MPI's send and receive buffers may not share a pointer) */
  private readonly sendBytes: Uint8Array;
  private readonly recvBytes: Uint8Array;
  private readonly sendCounts: number[];
  private readonly sendDispls: number[];
  private readonly recvCounts: number[];
  private readonly recvDispls: number[];
  /** θ and each optimizer-state slot, and the slices' counts and offsets in floats (slices) */
  /** θ's two buffers (params, paramsB) */
  private readonly params: readonly Float32Array[];
  private readonly state: Float32Array[];
  private readonly sliceCounts: number[];
  private readonly sliceDispls: number[];
  private readonly status: Int32Array;
  /** what each call moves for this rank (bytes; comm.ts), added to the shared counters `comm` */
  private readonly exchangeBytes: CollectiveBytes;
  private readonly paramsBytes: CollectiveBytes;
  private readonly statusBytes: CollectiveBytes;

  constructor(
    private readonly mpi: Collectives,
    private readonly layout: RunLayout,
    memory: WasmMemory,
    private readonly comm: Float64Array,
  ) {
    const x = layout.exchange!;
    const sendBase = Math.min(...x.send.map((c) => c.byteOffset));
    const recvBase = Math.min(...x.recv.map((c) => c.byteOffset));
    const end = (cs: readonly { byteOffset: number; bytes: number }[]) => Math.max(...cs.map((c) => c.byteOffset + c.bytes));
    this.sendBytes = new Uint8Array(memory.buffer, sendBase, end(x.send) - sendBase);
    this.recvBytes = new Uint8Array(memory.buffer, recvBase, end(x.recv) - recvBase);
    this.sendCounts = x.send.map((c) => c.bytes);
    this.sendDispls = x.send.map((c) => c.byteOffset - sendBase);
    this.recvCounts = x.recv.map((c) => c.bytes);
    this.recvDispls = x.recv.map((c) => c.byteOffset - recvBase);
    const P = layout.P;
    this.params = [layout.params, layout.paramsB].map((r) => new Float32Array(memory.buffer, r.byteOffset, P));
    const S = layout.optState.bytes / 4 / P;
    this.state = Array.from({ length: S }, (_, k) => new Float32Array(memory.buffer, layout.optState.byteOffset + k * P * 4, P));
    this.sliceCounts = x.slices.map(([lo, hi]) => hi - lo);
    this.sliceDispls = x.slices.map(([lo]) => lo);
    this.status = new Int32Array(memory.buffer, x.status, 1);
    // the noise partials: 2 float64s (16 bytes) a block; each rank's slice is whole blocks when the estimate is on
    this.noiseBytes = new Uint8Array(memory.buffer, layout.noise.byteOffset, layout.noise.bytes);
    // (a rank whose slice is empty — fewer blocks than ranks — sends none)
    const blocks = x.slices.map(([lo, hi]) => noiseBlocksOf(lo, hi));
    this.noiseCounts = blocks.map(([b0, b1]) => (b1 - b0) * 16);
    this.noiseDispls = blocks.map(([b0]) => b0 * 16);
    const rank = layout.ranks!.rank;
    this.exchangeBytes = x.kind === 'gather' ? allgathervBytes(this.recvCounts, rank) : alltoallvBytes(this.sendCounts, this.recvCounts, rank);
    this.paramsBytes = allgathervBytes(this.sliceCounts, rank, 4);
    this.statusBytes = allreduceBytes(4, layout.ranks!.size);
    this.noiseGatherBytes = allgathervBytes(this.noiseCounts, rank);
  }
  private readonly noiseBytes: Uint8Array;
  private readonly noiseCounts: number[];
  private readonly noiseDispls: number[];
  private readonly noiseGatherBytes: CollectiveBytes;

  /** The step's exchange: every rank's blocks to every rank (gather), or each rank's nodes cut to each rank's slice (slices). */
  exchange(): void {
    if (this.layout.exchange!.kind === 'gather') this.mpi.allgathervSync(this.recvBytes, this.recvCounts, this.recvDispls);
    else this.mpi.alltoallvSync(this.sendBytes, this.sendCounts, this.sendDispls, this.recvBytes, this.recvCounts, this.recvDispls);
    countCollective(this.comm, this.exchangeBytes);
    countExchange(this.comm);
  }

  /** slices: every rank's slice of θ in its buffer b (after an update, each rank holds only its own new slice). */
  gatherParams(b: 0 | 1): void {
    this.mpi.allgathervSync(this.params[b], this.sliceCounts, this.sliceDispls);
    countCollective(this.comm, this.paramsBytes);
  }

  /** slices: every rank's slice of the optimizer state (for checkpoints). */
  gatherState(): void {
    for (const s of this.state) {
      this.mpi.allgathervSync(s, this.sliceCounts, this.sliceDispls);
      countCollective(this.comm, this.paramsBytes);
    }
  }

  /** slices, on a step that measures the gradient noise: every rank's blocks of the noise partials (each rank wrote the blocks of its slice). */
  gatherNoise(): void {
    this.mpi.allgathervSync(this.noiseBytes, this.noiseCounts, this.noiseDispls);
    countCollective(this.comm, this.noiseGatherBytes);
  }

  /** slices: the worst step status of all ranks (each checked only its own slice), so that all take the same decision. */
  agreeStatus(local: number): number {
    this.status[0] = local;
    this.mpi.allreduceSync(this.status, 'max');
    countCollective(this.comm, this.statusBytes);
    return this.status[0];
  }
}
