import { stateSlots, type WasmMemory } from '@shardgrad/core';
import { allgathervBytes, countCollective, countExchange, createCommCounters, readComm } from './comm.js';
import type { LocalRankLink, LocalRunLayout } from './local.js';

/**
 * The MPI side of --sync local:H across ranks (LocalRankPlan): MPI_Allgatherv of bytes over the
 * exchange buffer at each chunk's end, and of the replicas' θ and state (float32, in place in the
 * run's memory) for checkpoints. Node only: it loads @shardgrad/mpi, which the process has joined.
 */
export async function connectLocalRanks(layout: LocalRunLayout, memory: WasmMemory, exchange: Uint8Array): Promise<LocalRankLink> {
  const { loadMpi } = await import('@shardgrad/mpi');
  const loaded = loadMpi();
  if (!loaded.ok) throw new Error(loaded.reason);
  const { mpi } = loaded;
  const { local, P } = layout;
  const plan = local.ranks!;
  const S = stateSlots(layout.optimizer.kind);
  const outer = local.momentum ? P : 0;
  const displs = plan.blocks.map((b) => b.at);
  const heads = plan.blocks.map((b) => b.head);
  const whole = plan.blocks.map((b) => b.head + b.nodeBytes);
  // the optimizer-state record: [outer momentum] · θ of each replica (R, P) · state of each replica (R, S, P)
  const record = new Float32Array(memory.buffer, layout.optState.byteOffset, layout.optState.bytes / 4);
  const thetaCounts = plan.replicas.map(([q0, q1]) => (q1 - q0) * P);
  const thetaDispls = plan.replicas.map(([q0]) => outer + q0 * P);
  const stateCounts = plan.replicas.map(([q0, q1]) => (q1 - q0) * S * P);
  const stateDispls = plan.replicas.map(([q0]) => outer + local.R * P + q0 * S * P);
  // what each collective moves, worked out once (docs/distributed.md, "Communication counted")
  const counters = createCommCounters();
  const [headBytes, wholeBytes] = [heads, whole].map((c) => allgathervBytes(c, plan.rank));
  const [thetaBytes, stateBytes] = [thetaCounts, stateCounts].map((c) => allgathervBytes(c, plan.rank, 4));
  return {
    async exchange(nodes) {
      await mpi.allgatherv(exchange, nodes ? whole : heads, displs);
      countCollective(counters, nodes ? wholeBytes : headBytes);
      countExchange(counters);
    },
    async gatherReplicas() {
      await mpi.allgatherv(record, thetaCounts, thetaDispls);
      countCollective(counters, thetaBytes);
      if (S > 0) {
        await mpi.allgatherv(record, stateCounts, stateDispls);
        countCollective(counters, stateBytes);
      }
    },
    get comm() {
      return readComm(counters);
    },
  };
}
