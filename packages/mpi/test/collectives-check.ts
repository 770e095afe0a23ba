// The checks of collectives.mjs's output, shared by the tests that run it (loopback and the
// network-namespace hosts): every rank's raw results against values computed here from inputs.mjs.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import * as I from './fixtures/inputs.mjs';

// ---------------------------------------------------------------------------------------------
// expected values, from inputs.mjs with plain loops

type T = 'f32' | 'f64' | 'i32' | 'u8';
const TYPES: T[] = ['f32', 'f64', 'i32', 'u8'];
const cast: Record<T, (x: number) => number> = {
  f32: Math.fround,
  f64: (x) => x,
  i32: (x) => x | 0,
  u8: (x) => x & 255,
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function expectedAllgatherv(t: T, size: number, sentinel: number): number[] {
  const out: number[] = [sentinel, sentinel, sentinel];
  const counts = I.agvCounts(size);
  for (let i = 0; i < size; i++) for (let j = 0; j < counts[i]; j++) out.push(cast[t](I.agv[t](i, j)));
  return [...out, sentinel, sentinel];
}

function expectedAllreduce(t: T, op: 'sum' | 'max' | 'min', size: number): number[] {
  return range(I.ALLREDUCE_LENGTH).map((j) => {
    const xs = range(size).map((r) => cast[t](I.red[t](r, j)));
    return cast[t](op === 'sum' ? xs.reduce((a, b) => a + b, 0) : op === 'max' ? Math.max(...xs) : Math.min(...xs));
  });
}

function expectedAlltoallv(size: number, rank: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < size; s++) for (let k = 0; k < I.a2aCount(s, rank); k++) out.push(I.a2aValue(s, rank, k));
  return out;
}

/** The one-line message every error must be. */
export function oneLine(msg: string) {
  expect(msg).not.toBe('no error');
  expect(msg).not.toMatch(/\n/);
  expect(msg.length).toBeLessThan(300);
}

/**
 * Checks OUTDIR/rank-*.json of a collectives.mjs run at -np `np`; returns each rank's output.
 * `ranksPerHost`: what detectLaunch must say about the node-local ranks (default: all on one host).
 */
export function checkCollectives(dir: string, np: number, ranksPerHost = np): Array<Record<string, any>> {
  const outs: Array<Record<string, any>> = [];
  const files = readdirSync(dir).sort();
  expect(files).toEqual(range(np).map((r) => `rank-${r}.json`));
  const counts = I.agvCounts(np);
  const total = counts.reduce((a, b) => a + b, 0);
  for (let rank = 0; rank < np; rank++) {
    const o = JSON.parse(readFileSync(path.join(dir, `rank-${rank}.json`), 'utf8'));
    outs.push(o);
    const at = `rank ${rank} of ${np}`;
    // init
    expect(o.info.rank, at).toBe(rank);
    expect(o.info.size).toBe(np);
    expect(o.info.library).toMatch(/Open MPI|MPICH/);
    expect(o.info.again).toEqual({ rank, size: np, library: o.info.library });
    expect(o.info.launch).toEqual({ rank, size: np, localRank: rank % ranksPerHost, localSize: ranksPerHost });
    expect(o.info.status.state).toBe('ready');
    expect(o.info.status.provided).toBeGreaterThanOrEqual(1); // MPI_THREAD_FUNNELED
    // synchronous forms
    for (const t of TYPES) expect(o.allgatherv[t], `${at} allgatherv ${t}`).toEqual(expectedAllgatherv(t, np, t === 'u8' ? 254 : -7));
    for (const t of TYPES) for (const op of ['sum', 'max', 'min'] as const) expect(o.allreduce[`${t}-${op}`], `${at} allreduce ${t} ${op}`).toEqual(expectedAllreduce(t, op, np));
    const bigSum = (j: number) => range(np).reduce((a, r) => a + I.big(r, j), 0);
    expect(o.big.sum).toEqual(range(16).map(bigSum));
    expect(o.big.max).toEqual(range(16).map((j) => I.big(np - 1, j)));
    expect(o.big.sumAll).toBe(range(I.BIG_LENGTH).reduce((a, j) => a + bigSum(j), 0));
    expect(o.big.maxAll).toBe(range(I.BIG_LENGTH).reduce((a, j) => a + I.big(np - 1, j), 0));
    expect(o.alltoallv, `${at} alltoallv`).toEqual(expectedAlltoallv(np, rank));
    expect(o.bcast.f64).toEqual(range(I.BCAST_LENGTH).map((j) => I.bcastF64(np - 1, j)));
    expect(o.bcast.i32).toEqual(range(I.BCAST_LENGTH).map((j) => I.bcastI32(0, j)));
    // promise forms, all in flight at once
    expect(o.promises.resolved).toEqual([null, null, null, null, null, null]);
    expect(o.promises.allreduce).toEqual(expectedAllreduce('f32', 'sum', np));
    expect(o.promises.allgatherv).toEqual(expectedAllgatherv('i32', np, -7).slice(3, 3 + total));
    expect(o.promises.alltoallv).toEqual(expectedAlltoallv(np, rank));
    expect(o.promises.bcastF64).toEqual(o.bcast.f64);
    expect(o.promises.bcastI32).toEqual(o.bcast.i32);
    // worker threads (no init of their own), SharedArrayBuffer at an offset, two workers in sequence, shared wasm memory
    expect(o.worker.reply).toEqual({ op: 'allreduce', rank, size: np, state: 'ready' });
    expect(o.worker.allreduce).toEqual(expectedAllreduce('f32', 'sum', np));
    expect(o.twoWorkers.replies.map((r: { op: string }) => r.op)).toEqual(['allgatherv', 'allreduce']);
    expect(o.twoWorkers.allgatherv).toEqual(expectedAllgatherv('i32', np, -7).slice(3, 3 + total));
    expect(o.twoWorkers.allreduce).toEqual(expectedAllreduce('f64', 'max', np));
    expect(o.wasmMemory.allreduce).toEqual(expectedAllreduce('i32', 'min', np));
    expect(o.wasmMemory.guardBefore).toBe(false);
    expect(o.workerPromise.reply.op).toBe('allreduce');
    expect(o.workerPromise.allreduce).toEqual(expectedAllreduce('f32', 'max', np));
    // rank 0 terminated its worker with a collective in flight: the teardown waited until the others
    // (started only after the terminate had begun) joined the collective
    if (rank === 0) expect(o.terminated.othersJoined).toEqual(Array.from({ length: np - 1 }, () => true));
    // finalize and the errors
    expect(o.afterFinalize).toEqual({ state: 'finalized', rank, size: np, again: 'no error' });
    const e = o.errors as Record<string, string>;
    for (const msg of Object.values(e)) oneLine(msg);
    expect(e.beforeInit).toBe('MPI allreduce before init');
    expect(e.countsLength).toBe(`counts has 1 entries, the communicator has ${np} ranks`);
    expect(e.outside).toMatch(/^allgatherv: block 1 \(displacement 2, count 2\) is outside the view of 2 elements$/);
    expect(e.promiseOutside).toBe(e.outside);
    expect(e.root).toBe(`bcast: root ${np} is not a rank of ${np}`);
    expect(e.op).toMatch(/op must be 'sum', 'max' or 'min'/);
    expect(e.type).toMatch(/must be a Float32Array, Float64Array, Int32Array or Uint8Array/);
    expect(e.mixed).toMatch(/same element type/);
    expect(e.afterFinalizeSync).toBe('MPI allreduce after finalize');
    expect(e.afterFinalizePromise).toBe('MPI barrier after finalize');
    expect(e.initAfterFinalize).toBe('MPI init after finalize');
    expect(e.abortAfterFinalize).toBe('MPI abort after finalize');
  }
  return outs;
}
