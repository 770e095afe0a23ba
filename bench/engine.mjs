// The engine's one-sitting table (issue 18): samples/s of what users run — `shardgrad train --json`,
// the median of its epochs 2–5 — with 1 and 2 workers, native and wasm kernels, beside shardgrad's
// single-threaded loop without the engine (trainLocal, same kernels) and PyTorch 1.13 + OpenBLAS
// (1 thread, 2 threads, DDP over 2 processes; shared/anchors, set up by bench/anchors.sh), for
// 784-128-10 b64 (the CLI's defaults) and 784-256-128-10 b256; and `shardgrad bench` on the same
// settings (it must agree with train). Each figure in its own process.
//
//   pnpm build && node bench/engine.mjs [--rounds 3] [--arch A|B] [--kernels native,wasm] [--no-torch] [--baseline DIR]
//
// --baseline DIR: another checkout, built (e.g. the commit before a change), whose `shardgrad train
// --workers 1|2` runs in the same rounds (its epoch figures as that build computes them).
//
// Rounds alternate every configuration, so load from other processes hits them alike; ratios are
// taken within a round, then their median and min–max over the rounds are reported. Writes
// bench/results/engine-<time>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHS, childSetup, flagsOf, stats } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'apps/cli/dist/main.js');
const args = flagsOf(process.argv.slice(2));
const work = process.env.ANCHORS_WORK ?? '/tmp/anchors-work';

// ---- child: trainLocal (core's loop, no engine), 1 warm-up epoch then 4 timed -----------------
if (args.child === 'local') {
  const { core, data, spec } = await childSetup(args.arch);
  const batch = Number(args.batch);
  const opt = core.optimizerConfig('sgd');
  const { withNativeKernels } = await import('../packages/worker/dist/index.js');
  const resident = await core.loadResidentWasmKernels(core.localTrainFloats(spec, batch, opt), 1 << 20);
  const kernels = args.kernel === 'wasm' ? resident.kernels : await withNativeKernels(args.kernel, resident.kernels);
  const rates = [];
  let last = performance.now();
  core.trainLocal({
    spec, X: data.X, Y: data.Y, train: data.trainRows, batch, epochs: 5, lr: 0.1, optimizer: opt, seed: 1, kernels, allocate: resident.allocate,
    onEpoch: (e) => {
      const now = performance.now();
      if (e > 0) rates.push(data.trainRows.length / ((now - last) / 1000));
      last = now;
    },
  });
  console.log(JSON.stringify({ samplesPerSec: stats(rates).median, kernel: kernels.name }));
  process.exit(0);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shardgrad-engine-bench-'));
function spawn(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26, cwd: tmp, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** `shardgrad train --json`: the median of epochs 2–5 as the run reports them (what a user reads). */
function train(arch, batch, workers, kernel, checkout = root) {
  const hidden = ARCHS[arch].slice(1, -1).join(',');
  const out = spawn(process.execPath, [path.join(checkout, 'apps/cli/dist/main.js'), 'train', '--hidden', hidden, '--batch', String(batch), '--workers', String(workers), '--kernel', kernel, '--epochs', '5', '--json', '--out', path.join(tmp, 'm.sgm')]);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  const epochs = lines.filter((l) => l.type === 'epoch');
  const summary = lines.find((l) => l.type === 'summary');
  return { samplesPerSec: stats(epochs.slice(1).map((e) => e.samplesPerSec)).median, kernel: summary?.kernel, accuracy: summary?.accuracy };
}

/** `shardgrad bench --json` on the same settings: its samples/s for that worker count. */
function bench(arch, batch, workers, kernel) {
  const hidden = ARCHS[arch].slice(1, -1).join(',');
  const out = spawn(process.execPath, [cli, 'bench', '--hidden', hidden, '--batch', String(batch), '--workers', String(workers), '--kernel', kernel, '--epochs', '5', '--json']);
  const row = out.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.workers === workers);
  return { samplesPerSec: row.samplesPerSec, overheadUs: row.overheadUs.median, mathMs: row.mathMs.median, stepMs: row.stepMs.median };
}

function local(arch, batch, kernel) {
  const out = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', 'local', '--arch', arch, '--batch', String(batch), '--kernel', kernel]);
  return JSON.parse(out.trim().split('\n').at(-1));
}

/** PyTorch (shared/anchors/run-torch.py): mode train with --threads 1|2, or ddp (2 processes × 1 thread). */
function torch(arch, batch, mode, threads) {
  const argv = [path.join(work, 'run-torch.py'), mode, '--arch', arch, '--batch', String(batch), '--epochs', '5', ...(mode === 'train' ? ['--threads', String(threads)] : [])];
  const out = spawn('/usr/bin/python3', argv, { cwd: work, env: { ...process.env, OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? 'SkylakeX' } });
  const m = /RESULT (\{.*\})/.exec(out);
  const r = JSON.parse(m[1]);
  return { samplesPerSec: typeof r.samplesPerSec === 'number' ? r.samplesPerSec : r.samplesPerSec.median };
}

const rounds = Number(args.rounds ?? 3);
const archs = args.arch ? [String(args.arch)] : ['A', 'B'];
const kernels = String(args.kernels ?? 'native,wasm').split(',');
const withTorch = !args['no-torch'];
const configs = archs.map((arch) => ({ arch, batch: arch === 'A' ? 64 : 256 }));
const raw = {};
const put = (key, v) => (raw[key] ??= []).push(v);
for (let r = 0; r < rounds; r++) {
  for (const { arch, batch } of configs) {
    const k = `${arch} b${batch}`;
    if (withTorch) {
      put(`${k} torch 1 thread`, torch(arch, batch, 'train', 1));
      put(`${k} torch 2 threads`, torch(arch, batch, 'train', 2));
      put(`${k} torch ddp 2 processes`, torch(arch, batch, 'ddp'));
    }
    for (const kernel of kernels) {
      put(`${k} ${kernel} trainLocal`, local(arch, batch, kernel));
      put(`${k} ${kernel} train 1 worker`, train(arch, batch, 1, kernel));
      put(`${k} ${kernel} train 2 workers`, train(arch, batch, 2, kernel));
    }
    put(`${k} ${kernels[0]} bench 2 workers`, bench(arch, batch, 2, kernels[0]));
    if (args.baseline) {
      put(`${k} ${kernels[0]} baseline train 1 worker`, train(arch, batch, 1, kernels[0], path.resolve(String(args.baseline))));
      put(`${k} ${kernels[0]} baseline train 2 workers`, train(arch, batch, 2, kernels[0], path.resolve(String(args.baseline))));
    }
    console.error(`round ${r + 1} ${k}: ${Object.keys(raw).filter((x) => x.startsWith(k)).map((x) => `${x.slice(k.length + 1)} ${Math.round(raw[x].at(-1).samplesPerSec)}`).join(', ')} | load ${os.loadavg()[0].toFixed(1)}`);
  }
}

// ratios within each round, then median (min–max) over the rounds
const ratio = (a, b) => stats(raw[a].map((x, i) => x.samplesPerSec / raw[b][i].samplesPerSec));
const best2 = (k) => raw[`${k} torch 1 thread`]?.map((_, i) => Math.max(...['1 thread', '2 threads', 'ddp 2 processes'].map((m) => raw[`${k} torch ${m}`][i].samplesPerSec)));
const report = { when: new Date().toISOString(), baseline: args.baseline ? String(args.baseline) : null, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadAtEnd: os.loadavg() }, rounds, raw, figures: {}, ratios: {} };
const f0 = (x) => Math.round(x).toLocaleString('en');
const cell = (s, d = 2) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
const lines = [];
for (const { arch, batch } of configs) {
  const k = `${arch} b${batch}`;
  lines.push(`### ${ARCHS[arch].join('-')} b${batch} (${rounds} rounds; samples/s per round, then ratios within a round: median (min–max))`, '', '| configuration | samples/s, each round |', '|---|---|');
  for (const key of Object.keys(raw).filter((x) => x.startsWith(k + ' '))) {
    report.figures[key] = stats(raw[key].map((x) => x.samplesPerSec));
    lines.push(`| ${key.slice(k.length + 1)} | ${raw[key].map((x) => f0(x.samplesPerSec)).join(', ')} |`);
  }
  lines.push('', '| ratio | median (min–max) |', '|---|---|');
  const add = (name, s) => {
    report.ratios[`${k} ${name}`] = s;
    lines.push(`| ${name} | ${cell(s)} |`);
  };
  for (const kernel of kernels) {
    add(`${kernel}: train 1 worker ÷ trainLocal`, ratio(`${k} ${kernel} train 1 worker`, `${k} ${kernel} trainLocal`));
    add(`${kernel}: train 2 workers ÷ trainLocal`, ratio(`${k} ${kernel} train 2 workers`, `${k} ${kernel} trainLocal`));
  }
  if (withTorch) {
    for (const kernel of kernels) add(`${kernel}: trainLocal ÷ PyTorch 1 thread`, ratio(`${k} ${kernel} trainLocal`, `${k} torch 1 thread`));
    const b = best2(k);
    const s = stats(raw[`${k} ${kernels[0]} train 2 workers`].map((x, i) => x.samplesPerSec / b[i]));
    add(`${kernels[0]}: train 2 workers ÷ PyTorch's best on 2 cores`, s);
  }
  add(`${kernels[0]}: bench 2 workers ÷ train 2 workers`, ratio(`${k} ${kernels[0]} bench 2 workers`, `${k} ${kernels[0]} train 2 workers`));
  if (args.baseline) {
    add(`${kernels[0]}: baseline train 1 worker ÷ trainLocal`, ratio(`${k} ${kernels[0]} baseline train 1 worker`, `${k} ${kernels[0]} trainLocal`));
    add(`${kernels[0]}: baseline train 2 workers ÷ trainLocal`, ratio(`${k} ${kernels[0]} baseline train 2 workers`, `${k} ${kernels[0]} trainLocal`));
    add(`${kernels[0]}: train 2 workers ÷ baseline train 2 workers`, ratio(`${k} ${kernels[0]} train 2 workers`, `${k} ${kernels[0]} baseline train 2 workers`));
  }
  lines.push('');
}
lines.push(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(lines.join('\n'));
const dir = path.join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `engine-${report.when.replace(/[:.]/g, '-')}.json`);
writeFileSync(file + '.tmp', JSON.stringify(report, null, 2));
renameSync(file + '.tmp', file);
console.error(`wrote ${path.relative(root, file)}`);
