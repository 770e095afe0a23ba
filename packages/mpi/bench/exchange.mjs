// Exchange bench of @shardgrad/mpi, run under mpirun:
//
//   mpirun --allow-run-as-root -np 2 node packages/mpi/bench/exchange.mjs [--reps 20] [--out FILE] [--label TEXT]
//
// For float32 messages of 64 KiB to 16 MiB and the two model sizes (P = 101,770 and 235,146
// parameters), times on SharedArrayBuffer views, through the synchronous forms:
//   allreduce      MPI_Allreduce(sum) in place of the whole message
//   allgatherv     MPI_Allgatherv in place, each rank holding 1/size of the message (the split of
//                  shardgrad's shardRange: the first P % size ranks one element more)
//   a2a+allgather  the same sum as allreduce built from MPI_Alltoallv (each rank gets every rank's
//                  copy of its 1/size block), a local sum of those copies (a plain JS loop), and
//                  MPI_Allgatherv of the summed blocks: the whole, the two MPI calls alone (mpiOnly),
//                  and rank 0's medians of the three parts
// Each repetition starts after a barrier; its time is the slowest rank's (MPI_Allreduce max of the
// ranks' times). Reported: median, min, p10, p90, max over the repetitions (after 3 warm-up ones),
// and bandwidth = message bytes / median time. Also the latency of a barrier and of an 8-byte
// allreduce, synchronous and promise form. Rank 0 prints the JSON (and writes it to --out).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMpi } from '../dist/index.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const reps = Number(arg('reps', 20));
const warmup = 3;
const out = arg('out', undefined);
const label = arg('label', '');

const loaded = loadMpi();
if (!loaded.ok) {
  console.error(loaded.reason);
  process.exit(2);
}
const mpi = loaded.mpi;
const loadBefore = os.loadavg();
const info = await mpi.init();
const { rank, size } = info;

const KiB = 1024, MiB = 1024 * KiB;
const messages = [
  ...[64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB].map((bytes) => ({ name: bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`, elements: bytes / 4 })),
  { name: 'P=101770', elements: 101_770 },
  { name: 'P=235146', elements: 235_146 },
];

/** shardRange's split: rank r gets [start, end) */
function blocks(n) {
  const counts = [], displs = [];
  const base = Math.floor(n / size), extra = n % size;
  let at = 0;
  for (let r = 0; r < size; r++) {
    const c = base + (r < extra ? 1 : 0);
    counts.push(c), displs.push(at);
    at += c;
  }
  return { counts, displs };
}

const slowest = new Float64Array(2);
/**
 * Runs `once` warmup + reps times, each after a barrier; the slowest rank's seconds per repetition
 * (the time `once` returns, in ms, where it returns one: a part of what it did).
 */
function time(once, into = []) {
  const times = [];
  for (let i = 0; i < warmup + reps; i++) {
    mpi.barrierSync();
    const t0 = performance.now();
    const part = once();
    const total = performance.now() - t0;
    slowest[0] = total / 1000;
    slowest[1] = (part ?? total) / 1000;
    mpi.allreduceSync(slowest, 'max');
    if (i >= warmup) times.push(slowest[0]), into.push(slowest[1]);
  }
  return times;
}

function stats(times, bytes) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const r = { medianMs: +(median * 1e3).toFixed(4), minMs: +(s[0] * 1e3).toFixed(4), p10Ms: +(q(0.1) * 1e3).toFixed(4), p90Ms: +(q(0.9) * 1e3).toFixed(4), maxMs: +(s[s.length - 1] * 1e3).toFixed(4) };
  if (bytes !== undefined) r.bandwidthGBps = +(bytes / median / 1e9).toFixed(3);
  return r;
}

const results = [];
for (const m of messages) {
  const n = m.elements, bytes = 4 * n;
  const full = new Float32Array(new SharedArrayBuffer(bytes));
  for (let j = 0; j < n; j++) full[j] = ((rank + 1) * (j % 101)) / 64;
  const { counts, displs } = blocks(n);
  const row = { message: m.name, elements: n, bytes };

  row.allreduce = stats(time(() => mpi.allreduceSync(full, 'sum')), bytes);
  row.allgatherv = stats(time(() => mpi.allgathervSync(full, counts, displs)), bytes);

  // reduce-scatter through alltoallv, then allgatherv: rank r receives block r from every rank
  const mine = counts[rank];
  const recv = new Float32Array(new SharedArrayBuffer(4 * Math.max(1, mine * size)));
  const recvCounts = counts.map(() => mine), recvDispls = counts.map((_, s) => s * mine);
  const parts = { a2a: [], sum: [], ag: [] };
  const mpiOnly = [];
  const total = time(() => {
    let t = performance.now();
    mpi.alltoallvSync(full, counts, displs, recv, recvCounts, recvDispls);
    let u = performance.now();
    parts.a2a.push(u - t), (t = u);
    const at = displs[rank];
    for (let j = 0; j < mine; j++) full[at + j] = recv[j];
    for (let s = 1; s < size; s++) for (let j = 0, o = s * mine; j < mine; j++) full[at + j] += recv[o + j];
    u = performance.now();
    parts.sum.push(u - t), (t = u);
    mpi.allgathervSync(full, counts, displs);
    parts.ag.push(performance.now() - t);
    return parts.a2a.at(-1) + parts.ag.at(-1);
  }, mpiOnly);
  const med = (xs) => {
    const s = xs.slice(warmup).sort((a, b) => a - b);
    return +s[Math.floor(s.length / 2)].toFixed(4);
  };
  row.alltoallvAllgather = {
    ...stats(total, bytes),
    mpiOnly: stats(mpiOnly, bytes),
    rank0PartsMedianMs: { alltoallv: med(parts.a2a), localSumInJs: med(parts.sum), allgatherv: med(parts.ag) },
  };
  results.push(row);
  if (rank === 0) console.error(`${m.name}: allreduce ${row.allreduce.medianMs} ms, allgatherv ${row.allgatherv.medianMs} ms, a2a+allgather ${row.alltoallvAllgather.medianMs} ms (MPI ${row.alltoallvAllgather.mpiOnly.medianMs} ms)`);
}

// latency: the hop to the MPI thread and back, plus the collective itself
const tiny = new Float64Array(1);
const latency = {
  barrierSync: stats(time(() => mpi.barrierSync())),
  allreduce8BytesSync: stats(time(() => mpi.allreduceSync(tiny, 'sum'))),
};
{
  const times = [];
  for (let i = 0; i < warmup + reps; i++) {
    await mpi.barrier();
    const t0 = performance.now();
    await mpi.allreduce(tiny, 'sum');
    slowest[0] = (performance.now() - t0) / 1000;
    await mpi.allreduce(slowest, 'max');
    if (i >= warmup) times.push(slowest[0]);
  }
  latency.allreduce8BytesPromise = stats(times);
}

const hostnames = new Uint8Array(64 * size);
new TextEncoder().encodeInto(`${os.hostname()}|${Object.values(os.networkInterfaces()).flat().filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address).join(',')}`.slice(0, 63), hostnames.subarray(64 * rank, 64 * rank + 63));
mpi.allgathervSync(hostnames, Array(size).fill(64), Array.from({ length: size }, (_, r) => 64 * r));
const where = Array.from({ length: size }, (_, r) => new TextDecoder().decode(hostnames.subarray(64 * r, 64 * r + 64)).replace(/\0+$/, ''));

await mpi.finalize();
if (rank === 0) {
  const report = {
    bench: 'packages/mpi/bench/exchange.mjs',
    label,
    date: new Date().toISOString(),
    np: size,
    library: info.library,
    ranks: where,
    node: process.version,
    cpus: os.cpus().length,
    // the machine's load average (1, 5, 15 min) before and after: other work on it shows in the times
    loadavg: { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)) },
    cpu: os.cpus()[0]?.model,
    reps,
    warmup,
    // the MCA settings a user gives (mpirun --mca / OMPI_MCA_*), not the ones mpirun passes its ranks
    mca: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^OMPI_MCA_(btl|oob_tcp|mpi_|coll|plm_rsh_agent|hwloc_base_binding)/.test(k)).map(([k, v]) => [k.slice(9), v])),
    binding: readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(.*)/)?.[1] ?? 'unknown',
    note: 'times: the slowest rank per repetition, after a barrier; bandwidth = message bytes / median time (GB = 1e9 bytes)',
    results,
    latency,
  };
  const text = JSON.stringify(report, null, 2);
  console.log(text);
  if (out) {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, text + '\n');
  }
}
