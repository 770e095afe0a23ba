import { totalmem } from 'node:os';
import { errors, specLayout } from '@shardgrad/core';
import { layoutLocal, layoutRun, localWorkers, planTree, rankShards, workerShards } from '@shardgrad/worker';
import type { TrainConfig } from '../api.js';

/**
 * Checks, before any memory is created, that a run fits: the run memory (θ, the gradient, the
 * optimizer state and its backup, every worker's partial sums, workspace and scratch, laid out by
 * the worker's layoutRun) in one wasm32 memory, that memory plus the data in this machine, and each
 * worker's share of the shards in one plan of the kernels. Each failure is one line naming what is
 * too large (exit 2), instead of an allocation failure or a kernel error at step 1.
 */

/** The most pages of a wasm32 memory (64 KiB each): 4 GiB. */
const WASM32_MAX_BYTES = 65536 * 65536;
/** The most leaf groups in one worker's plan of the native kernels (MAX_GROUPS in packages/native/src/shardgrad_native.c). */
const PLAN_MAX_GROUPS = 1024;

const GiB = 1024 ** 3;
const gib = (bytes: number) => (bytes >= 10 * GiB ? `${Math.round(bytes / GiB)}` : (bytes / GiB).toFixed(2));

/** The groups of a worker's leaf plan: sibling leaves pair up (the rule of worker/src/step.ts, writeLeafPlan). */
function leafGroups(leaves: readonly { readonly dst: number; readonly adds: readonly number[] }[]): number {
  let groups = 0;
  for (let j = 0; j < leaves.length; groups++) {
    const l = leaves[j];
    const r = leaves[j + 1];
    j += l.adds.length === 0 && r !== undefined && r.adds[0] === l.dst ? 2 : 1;
  }
  return groups;
}

/** The worker threads the run uses (its engine runs as many as the rank has shards, at least one). */
function workerCount(c: TrainConfig): { W: number; ranks?: { size: number; rank: number } } {
  const ranks = c.distributed && c.distributed.size > 1 ? { size: c.distributed.size, rank: c.distributed.rank } : undefined;
  const [a, b] = ranks ? rankShards(c.shards, ranks) : [0, c.shards];
  return { W: c.sync ? localWorkers(c.sync, c.shards, c.workers, ranks) : Math.max(1, Math.min(c.workers, b - a)), ...(ranks ? { ranks } : {}) };
}

/** Refuses shard counts whose per-worker plan the kernels cannot take. */
function checkShardPlan(c: TrainConfig, W: number, ranks?: { size: number; rank: number }): void {
  const [a, b] = ranks ? rankShards(c.shards, ranks) : [0, c.shards];
  const most = Math.ceil((b - a) / W);
  const per = `${W} worker${W === 1 ? '' : 's'}${ranks ? ` of rank ${ranks.rank}` : ''}`;
  const fix = `use at most ${2 * PLAN_MAX_GROUPS * W} shards for ${per} (the same weights for any --workers)`;
  // a group holds at most two leaves: more shards than that can never fit
  if (most > 2 * PLAN_MAX_GROUPS) throw errors.badInput('--shards', `${c.shards} shards give a worker up to ${most} shards, more than the kernels' plan of ${PLAN_MAX_GROUPS} leaf groups (${2 * PLAN_MAX_GROUPS} shards) takes: ${fix}`);
  const plan = planTree(c.shards, W, ranks);
  for (let w = 0; w < W; w++) {
    const [s0, s1] = workerShards(c.shards, W, w, ranks);
    const groups = leafGroups(plan.workers[w].leaves);
    if (groups > PLAN_MAX_GROUPS || plan.workers[w].slots > PLAN_MAX_GROUPS)
      throw errors.badInput('--shards', `${c.shards} shards give worker ${w} shards ${s0}..${s1 - 1}, ${groups} leaf groups, more than the kernels' plan takes (${PLAN_MAX_GROUPS}): ${fix}`);
  }
}

/** The memory this process may use: the machine's, or less where a container (cgroup) limits it. */
function machineMemory(): number {
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return limit !== undefined && limit > 0 && limit < totalmem() ? limit : totalmem();
}

/**
 * Throws a one-line error (exit 2) when the run of `c` would not fit: see above. `machineBytes` is
 * the memory of this machine (os.totalmem(), or a container's smaller limit, by default).
 */
export function checkRunFits(c: TrainConfig, machineBytes: number = machineMemory()): void {
  const { W, ranks } = workerCount(c);
  // (the local modes: a replica's tree runs on one worker, a plan no larger than all the shards' on one)
  checkShardPlan(c, c.sync ? 1 : W, c.sync ? undefined : ranks);
  const P = specLayout(c.spec).total;
  const net = `network ${c.spec.sizes.join('-')}`;
  if (P * 4 > WASM32_MAX_BYTES) throw errors.badInput(net, `has ${P.toLocaleString('en-US')} parameters, ${gib(P * 4)} GiB as float32, more than the 4 GiB a WebAssembly (wasm32) memory holds`);
  const shape = { spec: c.spec, V: c.shards, W, batch: c.batch, optimizer: c.optimizer };
  const layout = c.sync ? layoutLocal(shape, c.sync, ranks) : layoutRun({ ...shape, ...(ranks ? { ranks } : {}) });
  const replicas = c.sync?.kind === 'local' ? `, ${c.sync.replicas} replicas' θ and state` : '';
  const what = `θ, gradient, ${c.optimizer.kind} state${replicas} and ${W} worker${W === 1 ? "'s" : "s'"} partial sums and scratch for batch ${c.batch}`;
  if (layout.bytes > WASM32_MAX_BYTES)
    throw errors.badInput(net, `needs ${gib(layout.bytes)} GiB of run memory (${what}), more than the 4 GiB a WebAssembly (wasm32) memory holds: use a smaller network, --batch or --workers`);
  const dataBytes = c.data.X.byteLength + c.data.Y.byteLength;
  if (layout.bytes + dataBytes > machineBytes)
    throw errors.badInput(net, `needs ${gib(layout.bytes)} GiB of run memory (${what}) besides ${gib(dataBytes)} GiB of data, more than this machine's ${gib(machineBytes)} GiB: use a smaller network, --batch or --workers`);
}
