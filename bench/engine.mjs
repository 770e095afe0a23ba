// The engine's one-sitting table (issue 9): trainLocal, then the data-parallel engine with 1 and 2
// workers at the default 16 virtual shards, with speed-up and efficiency against trainLocal; the
// per-step serial time and, from it, a labelled projection of efficiency at 4–64 workers; the
// WebAssembly relaxed-SIMD peak of this machine in the same run; the default `shardgrad train`.
//
//   pnpm build && node bench/engine.mjs [--rounds 3] [--arch A|B] [--kernel wasm|native] [--baseline DIR]
//
// Rounds alternate the configurations (trainLocal, 1 worker, 2 workers, …) so that load from other
// processes hits them alike; every figure is a median with min–max over the rounds. --baseline DIR
// (another checkout, built) times its `shardgrad train` in the same rounds. Writes
// bench/results/engine-<time>.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHS, childSetup, flagsOf, stats } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = flagsOf(process.argv.slice(2));
const FLOPS = (sizes) => {
  // per trained sample: forward, dW and (above the first layer) dy: 6·Σ nᵢnᵢ₊₁ − 2·n₀n₁
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) f += 6 * sizes[l] * sizes[l + 1];
  return f - 2 * sizes[0] * sizes[1];
};

// ---- children: one measurement per process, so JIT state and memory are its own -------------

async function child(a) {
  const { core, coord, data, spec } = await childSetup(a.arch);
  const batch = Number(a.batch);
  const opt = core.optimizerConfig('sgd');
  const kernel = a.kernel ?? 'wasm';
  if (a.child === 'local') {
    // trainLocal with θ, gradient and workspace resident in the kernels' memory; 1 warm-up epoch
    const floats = core.localTrainFloats(spec, batch, opt);
    // one instance for the whole run, as training has: a warm-up epoch (wasm tiers up), then 3 timed
    const { withNativeKernels } = await import('../packages/worker/dist/index.js');
    const resident = await core.loadResidentWasmKernels(floats, 1 << 20);
    const kernels = kernel === 'wasm' ? resident.kernels : await withNativeKernels(kernel, resident.kernels);
    const times = [];
    let last = performance.now();
    core.trainLocal({
      spec, X: data.X, Y: data.Y, train: data.trainRows, batch, epochs: 4, lr: 0.1, optimizer: opt, seed: 1, kernels, allocate: resident.allocate,
      onEpoch: (e) => {
        const now = performance.now();
        if (e > 0) times.push(now - last);
        last = now;
      },
    });
    return { samplesPerSec: data.trainRows.length / (stats(times).median / 1000) };
  }
  const workers = Number(a.workers);
  const steps = Math.ceil(data.trainRows.length / batch);
  const [row] = await coord.benchmarkWorkers({ spec, batch, steps, warmup: 5, workerCounts: [workers], kernel, shards: 16, data });
  return { samplesPerSec: row.samplesPerSec, stepMs: row.stepMs, mathMs: row.mathMs, overheadUs: row.overheadUs, kernel: row.kernel };
}

if (args.child) {
  console.log(JSON.stringify(await child(args)));
  process.exit(0);
}

function run(childArgs) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...childArgs], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench child failed (${childArgs.join(' ')}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** The anchor: a 12-accumulator f32x4.relaxed_madd loop (shared/anchors/wasm-peak.mjs, set up by bench/anchors.sh). */
function wasmPeak() {
  const work = process.env.ANCHORS_WORK ?? '/tmp/anchors-work';
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', path.join(work, 'wasm-peak.mjs')], { cwd: work, encoding: 'utf8' });
  const m = /fma acc 12 ([\d.]+) GFLOP\/s/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

/** `shardgrad train` with no flags (784-128-10 on MNIST, 5 epochs, batch 64, workers = cores): wall seconds and accuracy. */
function defaultTrain(checkout) {
  const dir = path.join(os.tmpdir(), `shardgrad-engine-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [path.join(checkout, 'apps/cli/dist/main.js'), 'train', '--json', '--out', path.join(dir, 'm.sgm')], { cwd: dir, encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  const epoch = lines.filter((l) => l.type === 'epoch').at(-1);
  return { wallS: wall, valAccuracy: epoch?.valAccuracy ?? epoch?.accuracy };
}

const rounds = Number(args.rounds ?? 3);
const archs = args.arch ? [args.arch] : ['B', 'A'];
const configs = [];
for (const arch of archs) for (const batch of arch === 'B' ? [256] : [64, 256]) configs.push({ arch, batch });
const raw = { peak: [], train: [], baseline: [] };
for (const c of configs) Object.assign(c, { local: [], w1: [], w2: [] });
for (let r = 0; r < rounds; r++) {
  const p = wasmPeak();
  if (p) raw.peak.push(p);
  for (const c of configs) {
    const a = ['--arch', c.arch, '--batch', String(c.batch), '--kernel', String(args.kernel ?? 'wasm')];
    c.local.push(run(['--child', 'local', ...a]));
    c.w1.push(run(['--child', 'engine', ...a, '--workers', '1']));
    c.w2.push(run(['--child', 'engine', ...a, '--workers', '2']));
    console.error(`round ${r + 1} ${c.arch} b${c.batch}: trainLocal ${c.local.at(-1).samplesPerSec.toFixed(0)}, 1 worker ${c.w1.at(-1).samplesPerSec.toFixed(0)}, 2 workers ${c.w2.at(-1).samplesPerSec.toFixed(0)} samples/s`);
  }
  raw.train.push(defaultTrain(root));
  if (args.baseline) raw.baseline.push(defaultTrain(path.resolve(String(args.baseline))));
}

const report = { when: new Date().toISOString(), kernel: configs[0]?.w1[0]?.kernel, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, load: os.loadavg() }, rounds, configs: [] };
report.wasmPeakGflops = raw.peak.length ? stats(raw.peak) : null;
const lines = [];
const f0 = (x) => Math.round(x).toLocaleString('en');
const cell = (s, d = 0) => `${d ? s.median.toFixed(d) : f0(s.median)} (${d ? s.min.toFixed(d) : f0(s.min)}–${d ? s.max.toFixed(d) : f0(s.max)})`;
lines.push(`kernels: ${report.kernel}`);
lines.push(`wasm relaxed-SIMD peak (12 accumulators), same run: ${report.wasmPeakGflops ? cell(report.wasmPeakGflops, 1) : 'not measured (run bash bench/anchors.sh)'} GFLOP/s`);
lines.push('');
lines.push('| model batch | trainLocal samples/s | GFLOP/s (× peak) | 1 worker | 2 workers | 1 worker ÷ trainLocal | 2 workers ÷ trainLocal | efficiency 2 | serial µs/step | projected efficiency 4 / 8 / 16 / 64 |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const c of configs) {
  const local = stats(c.local.map((x) => x.samplesPerSec));
  const w1 = stats(c.w1.map((x) => x.samplesPerSec));
  const w2 = stats(c.w2.map((x) => x.samplesPerSec));
  // same round's ratios, then their median
  const r1 = stats(c.w1.map((x, i) => x.samplesPerSec / c.local[i].samplesPerSec));
  const r2 = stats(c.w2.map((x, i) => x.samplesPerSec / c.local[i].samplesPerSec));
  const gflops = stats(c.local.map((x) => (x.samplesPerSec * FLOPS(ARCHS[c.arch])) / 1e9));
  const ofPeak = report.wasmPeakGflops ? gflops.median / report.wasmPeakGflops.median : undefined;
  // serial part of a step: its wall time minus the slowest worker's math (waking, barrier, reporting)
  const serialUs = stats(c.w2.map((x) => x.overheadUs.median));
  const math1 = stats(c.w1.map((x) => x.mathMs.median)).median * 1000; // µs of math at 1 worker
  // projection (Amdahl, labelled): the math splits evenly over W, the serial time grows linearly in W as from 1 to 2 workers
  const s1 = stats(c.w1.map((x) => x.overheadUs.median)).median;
  const slope = Math.max(0, serialUs.median - s1);
  const project = (W) => math1 / (W * (math1 / W + s1 + slope * (W - 1)));
  const proj = [4, 8, 16, 64].map((W) => project(W));
  report.configs.push({ arch: c.arch, sizes: ARCHS[c.arch], batch: c.batch, shards: 16, raw: { local: c.local, w1: c.w1, w2: c.w2 }, trainLocal: local, w1, w2, w1OverLocal: r1, w2OverLocal: r2, trainLocalGflops: gflops, trainLocalOfPeak: ofPeak, serialUs, projectedEfficiency: Object.fromEntries([4, 8, 16, 64].map((W, i) => [W, proj[i]])) });
  lines.push(
    `| ${ARCHS[c.arch].join('-')} b${c.batch} | ${cell(local)} | ${gflops.median.toFixed(1)}${ofPeak ? ` (${ofPeak.toFixed(2)}×)` : ''} | ${cell(w1)} | ${cell(w2)} | ${r1.median.toFixed(2)}× | ${r2.median.toFixed(2)}× | ${((100 * r2.median) / 2).toFixed(0)} % | ${f0(serialUs.median)} | ${proj.map((e) => `${(100 * e).toFixed(0)} %`).join(' / ')} (projection) |`,
  );
}
report.defaultTrain = { wallS: stats(raw.train.map((x) => x.wallS)), valAccuracy: raw.train.map((x) => x.valAccuracy) };
lines.push('');
lines.push(`default \`shardgrad train\` (784-128-10, 5 epochs, batch 64, ${os.availableParallelism()} workers): ${cell(report.defaultTrain.wallS, 2)} s, validation accuracy ${report.defaultTrain.valAccuracy.map((a) => (100 * a).toFixed(2)).join(' / ')} %`);
if (raw.baseline.length) {
  report.baselineTrain = { checkout: String(args.baseline), wallS: stats(raw.baseline.map((x) => x.wallS)), valAccuracy: raw.baseline.map((x) => x.valAccuracy) };
  lines.push(`baseline ${args.baseline}: ${cell(report.baselineTrain.wallS, 2)} s, validation accuracy ${report.baselineTrain.valAccuracy.map((a) => (100 * a).toFixed(2)).join(' / ')} %`);
}
lines.push(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(lines.join('\n'));
const dir = path.join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `engine-${report.when.replace(/[:.]/g, '-')}.json`);
writeFileSync(file + '.tmp', JSON.stringify(report, null, 2));
renameSync(file + '.tmp', file);
console.error(`wrote ${path.relative(root, file)}`);
