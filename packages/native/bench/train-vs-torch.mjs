// One-thread training speed, native kernels vs PyTorch + OpenBLAS (one thread, SkylakeX kernels),
// alternating in the same sitting: per round, for each model, `bench/run.mjs --child train`
// (trainLocal on the 8,000 training digits, SGD, batch 256) with native and wasm-relaxed kernels,
// then the anchors' `run-torch.py train` (10,000 digits). With --two-workers, also 784-256-128-10
// b256 on two cores: `shardgrad bench --workers 1,2 --kernel native` (16 and 4 virtual shards)
// against PyTorch with 2 intra-op threads, DistributedDataParallel over 2 processes, and 1 thread.
// Writes bench/results/native-train-<time>.json: every epoch's (step's) samples/s, medians,
// min–max, load averages.
//
//   bash bench/anchors/setup.sh   # once
//   node packages/native/bench/train-vs-torch.mjs [--rounds 3] [--two-workers] [--anchors /tmp/anchors-work]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const ROUNDS = Number(opt('rounds', 3));
const ANCHORS = opt('anchors', '/tmp/anchors-work');
const RUN = fileURLToPath(new URL('../../../bench/run.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const TWO = argv.includes('--two-workers');
const ARCHS = { A: '784-128-10', B: '784-256-128-10' };
const BATCH = 256;
const KERNELS = ['native', 'wasm-relaxed'];

function shardgrad(arch, kernel) {
  const r = spawnSync(process.execPath, [RUN, '--child', 'train', '--arch', arch, '--batch', String(BATCH), '--kernel', kernel, '--rows', '8000', '--reps', '3'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  const x = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { system: x.kernel, perEpoch: x.epochSeconds.map((t) => x.rows / t), breakdown: x.breakdown };
}

/** shardgrad bench on MNIST, native kernels: one result per worker count (samples/s of the median step). */
function shardgradWorkers(shards) {
  const r = spawnSync(process.execPath, [CLI, 'bench', '--workers', '1,2', '--kernel', 'native', '--hidden', '256,128', '--batch', String(BATCH), '--steps', '40', '--shards', String(shards), '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`shardgrad bench failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((x) => ({ system: `shardgrad-${x.kernel}-${x.workers}w-${shards}shards`, perEpoch: [x.samplesPerSec] }));
}

function torch(arch, mode = 'train', threads = 1) {
  const r = spawnSync('/usr/bin/python3', [path.join(ANCHORS, 'run-torch.py'), mode, '--arch', arch, '--batch', String(BATCH), '--threads', String(threads), '--epochs', '3'], {
    encoding: 'utf8',
    cwd: ANCHORS,
    env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`run-torch.py failed: ${r.stderr}`);
  const x = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('RESULT ')).slice('RESULT '.length));
  return { system: mode === 'ddp' ? 'pytorch-ddp-2proc' : `pytorch-${threads}thread`, perEpoch: x.epochTimes?.map((t) => 10000 / t) ?? x.times.map((t) => 10000 / t) };
}

const samples = {};
const loads = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const arch of Object.keys(ARCHS)) {
    for (const run of [...KERNELS.map((k) => () => shardgrad(arch, k)), () => torch(arch)]) {
      loads.push(os.loadavg()[0]);
      const res = run();
      const key = `${arch}|${res.system}`;
      (samples[key] ??= { arch, system: res.system, perEpoch: [], breakdowns: [] }).perEpoch.push(...res.perEpoch);
      if (res.breakdown) samples[key].breakdowns.push(res.breakdown);
    }
  }
  if (TWO) {
    const runs = [() => shardgradWorkers(16), () => [torch('B', 'train', 2)], () => shardgradWorkers(4), () => [torch('B', 'ddp')]];
    for (const run of runs) {
      loads.push(os.loadavg()[0]);
      for (const res of run()) (samples[`B2|${res.system}`] ??= { arch: 'B', twoCores: true, system: res.system, perEpoch: [] }).perEpoch.push(...res.perEpoch);
    }
  }
  console.error(`round ${round + 1}/${ROUNDS} (load ${os.loadavg()[0].toFixed(2)})`);
}
const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return { median: s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
};
const results = Object.values(samples).map((x) => ({ ...x, samplesPerSec: stat(x.perEpoch) }));
for (const arch of Object.keys(ARCHS)) {
  const torchRate = results.find((r) => r.arch === arch && r.system === 'pytorch-1thread').samplesPerSec.median;
  for (const r of results.filter((x) => x.arch === arch && !x.twoCores)) {
    const s = r.samplesPerSec;
    console.log(`${ARCHS[arch]} b${BATCH} ${r.system.padEnd(16)} ${s.median.toFixed(0).padStart(7)} (${s.min.toFixed(0)}–${s.max.toFixed(0)}) samples/s  ${(s.median / torchRate).toFixed(2)}× PyTorch`);
  }
}
for (const r of results.filter((x) => x.twoCores)) {
  const s = r.samplesPerSec;
  console.log(`${ARCHS.B} b${BATCH} two cores ${r.system.padEnd(34)} ${s.median.toFixed(0).padStart(7)} (${s.min.toFixed(0)}–${s.max.toFixed(0)}) samples/s`);
}
const when = new Date().toISOString();
const dir = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `native-train-${when.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ bench: 'native-train', when, batch: BATCH, rounds: ROUNDS, cpu: os.cpus()[0]?.model, node: process.version, loadAverage: stat(loads), results }, null, 1) + '\n');
console.error(`wrote ${file}`);
