// Training across MPI ranks (issue 11), one sitting: the exchange between ranks per step against
// the bandwidth bound, and what going through MPI costs on one machine.
//
//   pnpm build && node bench/distributed.mjs [--rounds 3] [--steps 60] [--arch A|B] [--batch 256] [--netns]
//
// Per round, alternating (so that load from other processes hits them alike):
//   local    1 process × 2 workers (no MPI)
//   shm      mpirun -np 2, 1 worker each, OpenMPI's default transports (shared memory on one machine)
//   tcp      mpirun -np 2 over TCP on the loopback interface (--mca btl tcp,self, btl_tcp_if_include lo)
//   netns    (--netns, root) 2 network-namespace "hosts" joined by a veth pair, TCP between them
// In each MPI run every rank times its steps and each step's exchange (Allgatherv of the exchange
// buffer, worker 0 of the rank), then, in the same run, a plain MPI_Allreduce of a float32 buffer of
// the same size (the bound: bytes per step ÷ the allreduce's bandwidth = its time), and the same
// Allgatherv alone after a barrier. A step's exchange time is the smaller of the two ranks' (the
// rank that arrives last waits for nobody: its time is the transfer; with slices the gathering of θ
// and the agreement on the step's outcome are added the same way). Medians with min–max.
// Writes bench/results/distributed-<time>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHS, childSetup, flagsOf, stats } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = flagsOf(process.argv.slice(2));
const arch = args.arch ?? 'B';
const batch = Number(args.batch ?? 256);
const steps = Number(args.steps ?? 60);
const rounds = Number(args.rounds ?? 3);

// ---- child: one rank (or the local run) ----------------------------------------------------------

async function child(a) {
  const { coord, data, spec } = await childSetup(a.arch);
  const B = Number(a.batch);
  const common = { spec, batch: B, steps: Number(a.steps), warmup: 5, kernel: 'auto', shards: 16, data };
  if (a.child === 'local') {
    const [row] = await coord.benchmarkWorkers({ ...common, workerCounts: [2] });
    return { samplesPerSec: row.samplesPerSec, stepMs: row.stepMs.median, kernel: row.kernel };
  }
  const { loadMpi } = await import('../packages/mpi/dist/index.js');
  process.env.OMPI_MCA_mpi_yield_when_idle ??= '1'; // as shardgrad train sets it
  const loaded = loadMpi();
  if (!loaded.ok) throw new Error(loaded.reason);
  const { mpi } = loaded;
  const { rank, size } = await mpi.init();
  const [row] = await coord.benchmarkWorkers({ ...common, workerCounts: [1], ranks: { size, rank, exchange: a.exchange } });
  // bytes per step: what a rank receives from the others (gather: their blocks; slices: their chunks
  // for its slice, then their slices of θ); the bound: a plain allreduce of that many bytes
  const { own } = row.exchangeBytes;
  const P = row.exchangeBytes.params;
  const received = row.exchangeBytes.total - own;
  const mine = a.exchange === 'slices' ? received + Math.ceil((P * 4 * (size - 1)) / size) : received;
  // (the ranks' slices differ by a cache line: every rank reduces the largest count)
  const most = Int32Array.of(mine);
  mpi.allreduceSync(most, 'max');
  const total = most[0];
  const buf = new Float32Array(Math.ceil(total / 4)).fill(1);
  // the first collective of the exchange alone, after a barrier (gather: the Allgatherv of every
  // rank's block; slices: an Allgatherv of chunks of the same sizes)
  const owns = new Int32Array(size);
  owns[rank] = own;
  mpi.allreduceSync(owns, 'sum');
  const counts = Array.from(owns);
  const displs = counts.map((_, r) => counts.slice(0, r).reduce((x, y) => x + y, 0));
  const bytes = new Uint8Array(counts.reduce((x, y) => x + y, 0));
  const time = (f) => {
    const ms = [];
    for (let i = 0; i < 33; i++) {
      mpi.barrierSync();
      const t0 = performance.now();
      f();
      if (i >= 3) ms.push(performance.now() - t0);
    }
    return ms;
  };
  const allreduceMs = time(() => mpi.allreduceSync(buf, 'sum'));
  const allgathervMs = time(() => mpi.allgathervSync(bytes, counts, displs));
  const out = { rank, size, samplesPerSec: row.samplesPerSec, stepMs: row.stepMs.median, exchangeMs: row.exchangeMs, slicesRestMs: row.slicesRestMs, total, own, allreduceMs, allgathervMs, kernel: row.kernel };
  writeFileSync(path.join(a.out, `rank-${rank}.json`), JSON.stringify(out));
  await mpi.finalize();
  return out;
}

if (args.child) {
  console.log(JSON.stringify(await child(args)));
  process.exit(0);
}

// ---- the sitting ----------------------------------------------------------------------------------

const childArgs = ['--arch', arch, '--batch', String(batch), '--steps', String(steps)];
const MPIRUN = ['--allow-run-as-root', '--oversubscribe'];
const netnsScript = path.join(root, 'packages/mpi/scripts/netns-hosts.sh');
const netnsAgent = path.join(root, 'packages/mpi/scripts/netns-agent.sh');
const NETNS = { prefix: 'sgd', subnet: '10.213.8' };
const netnsEnv = { ...process.env, SG_NETNS_PREFIX: NETNS.prefix, SG_NETNS_SUBNET: NETNS.subnet };

function spawn(cmd, argv, env = process.env) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000, env });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function local() {
  const out = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', 'local', ...childArgs]);
  return JSON.parse(out.trim().split('\n').pop());
}

function ranks(transport, exchange) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sg-dist-'));
  const me = [fileURLToPath(import.meta.url), '--child', 'rank', '--exchange', exchange, '--out', dir, ...childArgs];
  if (transport === 'shm') spawn('mpirun', [...MPIRUN, '-np', '2', process.execPath, ...me]);
  else if (transport === 'tcp') spawn('mpirun', [...MPIRUN, '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', 'lo', '--mca', 'oob_tcp_if_include', 'lo', '-np', '2', process.execPath, ...me]);
  else {
    // mpirun inside the first "host"; the agent starts the daemon of the second in its namespace
    const h = [`${NETNS.prefix}-h1`, `${NETNS.prefix}-h2`];
    const net = `${NETNS.subnet}.0/24`;
    spawn('ip', ['netns', 'exec', h[0], 'mpirun', '--allow-run-as-root', '-np', '2', '--host', h.join(','), '--mca', 'rtc', '^hwloc', '--mca', 'plm_rsh_agent', netnsAgent, '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', net, '--mca', 'oob_tcp_if_include', net, process.execPath, ...me]);
  }
  const rs = [0, 1].map((r) => JSON.parse(readFileSync(path.join(dir, `rank-${r}.json`), 'utf8')));
  // each collective's time on the rank that reached it last (the other waited for it), summed per step
  const perStep = rs[0].exchangeMs.map((x, t) => Math.min(x, rs[1].exchangeMs[t]) + Math.min(rs[0].slicesRestMs[t], rs[1].slicesRestMs[t]));
  const bound = stats(rs[0].allreduceMs).median;
  const ex = stats(perStep).median;
  return {
    transport,
    exchange,
    samplesPerSec: rs[0].samplesPerSec,
    stepMs: rs[0].stepMs,
    exchangeBytes: rs[0].total,
    exchangeMs: ex,
    allreduceMs: bound,
    allgathervAloneMs: stats(rs[0].allgathervMs).median,
    boundRatio: bound / ex,
    kernel: rs[0].kernel,
  };
}

const kinds = ['gather', 'slices'];
const transports = ['shm', 'tcp', ...(args.netns ? ['netns'] : [])].flatMap((t) => kinds.map((k) => `${t}-${k}`));
const table = { local: [], ...Object.fromEntries(transports.map((t) => [t, []])) };
if (args.netns) {
  spawn('sh', [netnsScript, 'up'], netnsEnv);
  process.on('exit', () => spawnSync('sh', [netnsScript, 'down'], { env: netnsEnv }));
}
for (let r = 0; r < rounds; r++) {
  table.local.push(local());
  for (const t of transports) table[t].push(ranks(...t.split('-')));
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}
const summary = {
  local: { samplesPerSec: stats(table.local.map((x) => x.samplesPerSec)) },
  ...Object.fromEntries(
    transports.map((t) => [
      t,
      {
        samplesPerSec: stats(table[t].map((x) => x.samplesPerSec)),
        vsLocal: stats(table[t].map((x, i) => x.samplesPerSec / table.local[i].samplesPerSec)),
        exchangeMs: stats(table[t].map((x) => x.exchangeMs)),
        allreduceMs: stats(table[t].map((x) => x.allreduceMs)),
        allgathervAloneMs: stats(table[t].map((x) => x.allgathervAloneMs)),
        boundRatio: stats(table[t].map((x) => x.boundRatio)),
        bytesPerStep: table[t][0].exchangeBytes,
      },
    ]),
  ),
};
const result = {
  bench: 'distributed',
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), load: os.loadavg() },
  mpi: spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0],
  arch: ARCHS[arch].join('-'),
  batch,
  steps,
  rounds,
  summary,
  rounds_raw: table,
};
mkdirSync(path.join(here, 'results'), { recursive: true });
const file = path.join(here, 'results', `distributed-${result.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file + '.tmp', JSON.stringify(result, null, 2));
renameSync(file + '.tmp', file);
const f = (s, d = 2) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
console.log(`${result.arch} batch ${batch}, ${rounds} rounds, ${result.mpi}`);
console.log(`local 1 × 2 workers: ${Math.round(summary.local.samplesPerSec.median)} samples/s`);
for (const t of transports) {
  const s = summary[t];
  console.log(
    `${t}: 2 ranks × 1 worker ${Math.round(s.samplesPerSec.median)} samples/s = ${f(s.vsLocal)}× local; exchange ${f(s.exchangeMs, 3)} ms for ${(s.bytesPerStep / 1e6).toFixed(2)} MB received; ` +
      `allreduce of the same size ${f(s.allreduceMs, 3)} ms → ${f(s.boundRatio)}× the bound; Allgatherv alone ${f(s.allgathervAloneMs, 3)} ms`,
  );
}
console.log(`→ ${path.relative(root, file)}`);
