// shardgrad benchmark: kernel GFLOP/s on the backprop products, end-to-end epoch throughput,
// peak RSS, and ratios to the anchors of bench/anchors.sh when their results are present.
//
//   pnpm bench                      # builds, then runs everything (~5 min on 2 busy cores)
//   node bench/run.mjs --quick      # fewer repetitions, for a smoke test
//   node bench/run.mjs --only kernels|train
//
// Each configuration of the end-to-end part runs in its own child process, so its peak RSS and
// its JIT state are its own. Every number is a median with min–max over ≥ 5 repetitions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ARCHS, stats } from './common.mjs';

const core = await import('../packages/core/dist/index.js');
const here = fileURLToPath(new URL('.', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const REPS = args.reps ?? (args.quick ? 5 : 7);

// ---------------------------------------------------------------------------------------------
// helpers

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    const key = argv[i].slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = true;
    else {
      out[key] = Number.isNaN(Number(next)) ? next : Number(next);
      i++;
    }
  }
  return out;
}


const fmt = (x, d = 1) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));
const fmtStat = (s, d = 1) => `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`;

function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(w[i])).join(' | ') + ' |';
  return [line(header), '|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

function rand(len, rng) {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** Seconds per call of fn: each repetition runs fn until ≥ minTime s have passed. */
function timeCalls(fn, minTime = 0.15) {
  for (let i = 0; i < 2; i++) fn(); // warm-up: compile and tier up
  const secs = [];
  for (let r = 0; r < REPS; r++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < minTime * 1000) {
      fn();
      calls++;
      t = performance.now();
    }
    secs.push((t - t0) / 1000 / calls);
  }
  return secs;
}

// ---------------------------------------------------------------------------------------------
// kernels

/** The raw module over a memory of its own, operands placed in it once: the kernel with no copy-in/out. */
async function residentModule(flavor) {
  const bytes = readFileSync(new URL(`../packages/core/dist/kernels/${core.wasmFileName(flavor)}`, import.meta.url));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory, abort: () => {} } });
  const x = { ...instance.exports, memory };
  let top = Math.ceil(x.heapBase() / 16) * 16;
  const place = (a) => {
    const p = top;
    top += Math.ceil((a.length * 4) / 16) * 16;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    new Float32Array(memory.buffer).set(a, p / 4);
    return p;
  };
  return { x, place };
}

/**
 * backprop's products at batch 256 for the two hidden layers of 784-256-128-10, and at 16 rows:
 * one virtual shard of a 256 batch cut into the coordinator's default 16 shards
 */
const KERNEL_SHAPES = [
  { layer: '784→256', m: 256, k: 784, n: 256 },
  { layer: '256→128', m: 256, k: 256, n: 128 },
  { layer: '784→256 m=16', m: 16, k: 784, n: 256 },
];
const PRODUCTS = [
  { id: 'gemmBias', what: 'v = y·W + b' },
  { id: 'gemmNT', what: 'dy = dv·Wᵀ' },
  { id: 'gemmTNAcc', what: 'dW += yᵀ·dv' },
];

/** The native kernels (each instruction set this CPU runs) where the install built them; none otherwise. */
async function nativeImpls() {
  const native = await import('../packages/native/dist/index.js');
  const fallback = await core.loadWasmKernels({ flavor: 'relaxed' });
  return native.nativeIsas().map((isa) => ({ name: `native-${isa}`, kernels: native.loadNativeKernels(fallback, { isa }) }));
}

/** The native kernels named by --kernel (native, native-avx512, native-avx2) over `fallback`. */
async function nativeOver(kernel, fallback) {
  const native = await import('../packages/native/dist/index.js');
  const isa = kernel === 'native' ? undefined : kernel.slice('native-'.length);
  return native.loadNativeKernels(fallback, isa ? { isa } : {});
}

async function benchKernels() {
  await core.enableRelaxedSimd();
  const impls = [
    { name: 'reference', kernels: core.referenceKernels },
    { name: 'wasm-simd', kernels: await core.loadWasmKernels({ flavor: 'simd' }) },
    { name: 'wasm-relaxed', kernels: await core.loadWasmKernels({ flavor: 'relaxed' }) },
    ...(await nativeImpls()),
  ];
  const resident = [
    { name: 'wasm-simd resident', mod: await residentModule('simd') },
    { name: 'wasm-relaxed resident', mod: await residentModule('relaxed') },
  ];
  const results = [];
  for (const s of KERNEL_SHAPES) {
    const { m, k, n } = s;
    const rng = new core.Rng(m + k + n);
    const y = rand(m * k, rng), W = rand(k * n, rng), b = rand(n, rng), dv = rand(m * n, rng);
    const v = new Float32Array(m * n), dy = new Float32Array(m * k);
    const dW = new Float32Array(k * n), db = new Float32Array(n);
    const flops = 2 * m * k * n;
    const calls = {
      gemmBias: (K) => () => K.gemmBias(v, y, W, b, m, k, n),
      gemmNT: (K) => () => K.gemmNT(dy, dv, W, m, n, k),
      gemmTNAcc: (K) => () => {
        dW.fill(0); // keeps the accumulated values bounded; a k·n fill is < 1 % of the product
        K.gemmTNAcc(dW, db, y, dv, m, k, n);
      },
    };
    for (const p of PRODUCTS) {
      for (const impl of impls) {
        const secs = timeCalls(calls[p.id](impl.kernels), impl.name === 'reference' ? 0.3 : 0.15);
        results.push({ ...s, product: p.id, impl: impl.name, gflops: stats(secs.map((t) => flops / t / 1e9)) });
      }
      for (const r of resident) {
        const { x, place } = r.mod;
        const py = place(y), pW = place(W), pb = place(b), pdv = place(dv), pv = place(v), pdy = place(dy);
        const pdW = place(dW), pdb = place(db), pWt = place(new Float32Array(k * n));
        const raw = {
          gemmBias: () => x.gemmBias(pv, py, pW, pb, m, k, n),
          gemmNT: () => x.gemmNT(pdy, pdv, pW, m, n, k, pWt),
          gemmTNAcc: () => {
            new Float32Array(x.memory.buffer, pdW, k * n).fill(0);
            x.gemmTNAcc(pdW, pdb, py, pdv, m, k, n);
          },
        };
        const secs = timeCalls(raw[p.id]);
        results.push({ ...s, product: p.id, impl: r.name, gflops: stats(secs.map((t) => flops / t / 1e9)) });
      }
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// end to end (child process per configuration)


/** Kernels whose every call is timed: the breakdown of an epoch (not used for throughput). */
function timedKernels(K, acc) {
  return {
    name: K.name,
    gemmBias(...a) {
      const t = performance.now();
      K.gemmBias(...a);
      acc.gemmBias += performance.now() - t;
    },
    gemmNT(...a) {
      const t = performance.now();
      K.gemmNT(...a);
      acc.gemmNT += performance.now() - t;
    },
    gemmTNAcc(...a) {
      const t = performance.now();
      K.gemmTNAcc(...a);
      acc.gemmTNAcc += performance.now() - t;
    },
    // the fused forms count under the product they contain
    denseForward: K.denseForward && ((...a) => {
      const t = performance.now();
      const done = K.denseForward(...a);
      acc.gemmBias += performance.now() - t;
      return done;
    }),
    denseBackwardInput: K.denseBackwardInput && ((...a) => {
      const t = performance.now();
      const done = K.denseBackwardInput(...a);
      acc.gemmNT += performance.now() - t;
      return done;
    }),
    // the slice pass (optimizer) stays with the kernels that have one; it counts as "rest"
    finishUpdate: K.finishUpdate && ((...a) => K.finishUpdate(...a)),
  };
}

async function trainChild(a) {
  const { loadMnist } = await import('../packages/coordinator/dist/index.js');
  const data = loadMnist();
  const spec = core.mlpSpec(ARCHS[a.arch], 'relu', 'softmax', 'ce');
  let kernels = core.referenceKernels;
  /** trainLocal's buffers in the kernels' own memory (no copies per call), made afresh for each run */
  let resident = () => ({});
  if (a.kernel !== 'reference') {
    // native, native-avx512, native-avx2: the addon over resident relaxed wasm (which runs the slice pass)
    const native = a.kernel.startsWith('native');
    if ((a.kernel === 'wasm-relaxed' || native) && !(await core.enableRelaxedSimd())) throw new Error('relaxed SIMD unavailable');
    const flavor = a.kernel === 'wasm-simd' ? 'simd' : 'relaxed';
    const floats = core.localTrainFloats(spec, a.batch, core.optimizerConfig('sgd'));
    const load = async () => {
      const r = await core.loadResidentWasmKernels(floats, 1 << 20, { flavor });
      return native ? { kernels: await nativeOver(a.kernel, r.kernels), allocate: r.allocate } : r;
    };
    const runs = [await load(), await load()];
    kernels = runs[0].kernels;
    resident = () => {
      const r = runs.shift();
      kernels = r.kernels;
      return { kernels: r.kernels, allocate: r.allocate };
    };
  }
  const train = data.trainRows.subarray(0, a.rows);
  const times = [];
  let last = 0;
  const opts = {
    spec, X: data.X, Y: data.Y, train, batch: a.batch, lr: 0.1, optimizer: core.optimizerConfig('sgd'), seed: 42, kernels,
  };
  const warmup = 1;
  last = performance.now();
  const { epochLosses } = core.trainLocal({
    ...opts,
    ...resident(),
    epochs: warmup + a.reps,
    onEpoch: (e) => {
      const now = performance.now();
      if (e >= warmup) times.push((now - last) / 1000);
      last = now;
    },
  });
  // one more epoch with every kernel call timed: where the time goes
  const acc = { gemmBias: 0, gemmNT: 0, gemmTNAcc: 0 };
  const t0 = performance.now();
  const second = resident();
  core.trainLocal({ ...opts, ...second, epochs: 1, kernels: timedKernels(second.kernels ?? kernels, acc) });
  const total = performance.now() - t0;
  const breakdown = {
    totalMs: total,
    gemmBiasMs: acc.gemmBias,
    gemmNTMs: acc.gemmNT,
    gemmTNAccMs: acc.gemmTNAcc,
    otherMs: total - acc.gemmBias - acc.gemmNT - acc.gemmTNAcc,
  };
  const flopsPerSample = flopsPerTrainedSample(ARCHS[a.arch]);
  return {
    arch: a.arch, sizes: ARCHS[a.arch], batch: a.batch, kernel: kernels.name, workers: 1, rows: train.length,
    samplesPerSec: stats(times.map((t) => train.length / t)),
    effectiveGflops: stats(times.map((t) => (train.length * flopsPerSample) / t / 1e9)),
    epochSeconds: times, finalLoss: epochLosses.at(-1), breakdown,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

/** 2·(forward + two backward products) per sample, minus the first layer's unused dy = 6·Σ nᵢnᵢ₊₁ − 2·n₀n₁ */
function flopsPerTrainedSample(sizes) {
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) f += 6 * sizes[l] * sizes[l + 1];
  return f - 2 * sizes[0] * sizes[1];
}

/** One worker count trained as `shardgrad train` runs it (coordinator benchmarkTraining: the Trainer, epoch figures). */
async function workersChild(a) {
  const { benchmarkTraining, loadMnist } = await import('../packages/coordinator/dist/index.js');
  const data = loadMnist();
  const spec = core.mlpSpec(ARCHS[a.arch], 'relu', 'softmax', 'ce');
  const [row] = await benchmarkTraining({ spec, batch: a.batch, epochs: 5, workerCounts: [a.workers], kernel: a.kernel, data, shards: a.shards ?? 16 });
  return {
    arch: a.arch, sizes: ARCHS[a.arch], batch: a.batch, kernel: a.kernel, workers: a.workers, shards: row.shards,
    samplesPerSec: row.samplesPerSec, epochSamplesPerSec: row.epochSamplesPerSec, stepMs: row.stepMs, mathMs: row.mathMs, overheadUs: row.overheadUs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

function runChild(childArgs) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...childArgs], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench child failed (${childArgs.join(' ')}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** 1 and 2 workers (and any --workers N) with the wasm kernels, each count in its own process for its peak RSS. */
function benchWorkers() {
  const counts = [...new Set([1, 2, ...(args.workers ? [args.workers] : [])])];
  const results = [];
  for (const arch of ['A', 'B']) {
    for (const batch of [64, 256]) {
      // 16 virtual shards: the coordinator's default; 4: the same batch in 4× larger products
      for (const shards of [16, 4]) {
        for (const workers of counts) {
          const res = runChild(['--child', 'workers', '--arch', arch, '--batch', String(batch), '--workers', String(workers), '--kernel', 'wasm', '--shards', String(shards)]);
          console.error(`  ${arch} batch ${batch} V=${shards} ${workers} worker(s): ${fmt(res.samplesPerSec, 0)} samples/s, step ${res.stepMs.median.toFixed(1)} ms, peak RSS ${res.peakRssMiB.toFixed(0)} MiB`);
          results.push(res);
        }
      }
    }
  }
  return results;
}

function benchTrain() {
  const results = [];
  for (const arch of ['A', 'B']) {
    for (const batch of [64, 256]) {
      for (const kernel of ['reference', 'wasm-simd', 'wasm-relaxed']) {
        // the reference loops are ~20× slower: time them on a 2,048-row slice of the epoch
        const rows = kernel === 'reference' ? 2048 : 8000;
        const reps = Math.max(5, args.quick ? 5 : REPS - 2);
        const childArgs = [fileURLToPath(import.meta.url), '--child', 'train', '--arch', arch, '--batch', String(batch), '--kernel', kernel, '--rows', String(rows), '--reps', String(reps)];
        const r = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (r.status !== 0) throw new Error(`bench child failed (${childArgs.join(' ')}):\n${r.stderr}`);
        const res = JSON.parse(r.stdout.trim().split('\n').at(-1));
        console.error(`  ${arch} batch ${batch} ${kernel}: ${fmtStat(res.samplesPerSec, 0)} samples/s, peak RSS ${res.peakRssMiB.toFixed(0)} MiB`);
        results.push(res);
      }
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// anchors (bench/anchors.sh)

/** The anchors' results, and the file's first line: when and where they were measured. */
function readAnchors() {
  const file = new URL('./results/anchors.jsonl', import.meta.url);
  const shown = 'bench/results/anchors.jsonl';
  if (!existsSync(file)) {
    console.error(`anchors: no ${shown}, so no ratios (run bash bench/anchors.sh first, on this machine)`);
    return { meta: null, results: [] };
  }
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const meta = lines.find((l) => l.bench === 'meta') ?? null;
  const results = lines.filter((l) => l.bench !== 'meta');
  const when = meta?.date ? `measured ${meta.date}${meta.note ? ` (${meta.note})` : ''}` : 'date unknown (no meta line)';
  console.error(`anchors: comparing with ${shown}, ${when}, ${results.length} results; ratios mean something only if they ran in this sitting`);
  return { meta, results };
}

const ARCH_NAME = { A: '784-128-10', B: '784-256-128-10' };

// ---------------------------------------------------------------------------------------------
// main

if (args.child === 'train') {
  console.log(JSON.stringify(await trainChild(args)));
  process.exit(0);
}
if (args.child === 'workers') {
  console.log(JSON.stringify(await workersChild(args)));
  process.exit(0);
}

const report = {
  when: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, load: os.loadavg() },
  reps: REPS,
};
const out = [];

if (args.only !== 'train') {
  console.error('kernels …');
  report.kernels = await benchKernels();
  const impls = [...new Set(report.kernels.map((r) => r.impl))];
  const rows = [];
  for (const s of KERNEL_SHAPES) {
    for (const p of PRODUCTS) {
      const cells = impls.map((impl) => fmtStat(report.kernels.find((r) => r.layer === s.layer && r.product === p.id && r.impl === impl).gflops));
      rows.push([`${s.layer} ${p.id}`, `${p.what}`, ...cells]);
    }
  }
  out.push('Kernel GFLOP/s, batch 256 and one 16-row shard (median (min–max)); resident = operands already in wasm memory (no copies)', table(['layer product', 'computes', ...impls], rows), '');
}

if (args.only !== 'kernels') {
  console.error('end to end …');
  report.train = benchTrain();
  if (args.workers !== 0) {
    console.error('workers …');
    report.workers = benchWorkers();
  }
  const { meta: anchorsMeta, results: anchors } = readAnchors();
  report.anchors = anchors;
  report.anchorsMeta = anchorsMeta;
  const anchor = (system, arch, batch) => anchors.find((x) => x.bench === 'train' && x.system === system && x.arch === arch && x.batch === batch);
  const anchorRate = (x) => (x ? x.samplesPerSec?.median ?? x.samplesPerSec : undefined);
  const rows = [];
  for (const arch of ['A', 'B']) {
    for (const batch of [64, 256]) {
      const cell = (kernel) => report.train.find((r) => r.arch === arch && r.batch === batch && r.kernel === kernel);
      const best = cell('wasm-relaxed');
      const ratio = (system) => {
        const rate = anchorRate(anchor(system, arch, batch));
        return rate ? `${(best.samplesPerSec.median / rate).toFixed(2)}× (${fmt(rate, 0)})` : '—';
      };
      rows.push([
        `${ARCH_NAME[arch]} b${batch}`,
        fmtStat(cell('reference').samplesPerSec, 0),
        fmtStat(cell('wasm-simd').samplesPerSec, 0),
        fmtStat(best.samplesPerSec, 0),
        ratio('tfjs-wasm'), ratio('naive-js'), ratio('pytorch'),
        `${best.peakRssMiB.toFixed(0)} MiB`,
      ]);
    }
  }
  out.push(
    'End to end, 1 thread (trainLocal), samples/s (median (min–max)); ratios = wasm-relaxed / anchor (anchor samples/s)',
    table(['model batch', 'reference', 'wasm-simd', 'wasm-relaxed', 'vs tfjs-wasm', 'vs naive JS', 'vs PyTorch', 'peak RSS (relaxed)'], rows),
    '',
  );
  const bd = [];
  for (const r of report.train.filter((x) => x.kernel !== 'reference')) {
    const b = r.breakdown;
    const pct = (x) => `${((100 * x) / b.totalMs).toFixed(0)} %`;
    bd.push([`${ARCH_NAME[r.arch]} b${r.batch}`, r.kernel, `${b.totalMs.toFixed(0)} ms`, pct(b.gemmBiasMs), pct(b.gemmNTMs), pct(b.gemmTNAccMs), pct(b.otherMs)]);
  }
  if (report.workers) {
    const wr = [];
    for (const arch of ['A', 'B']) {
      for (const batch of [64, 256]) {
        for (const r of report.workers.filter((x) => x.arch === arch && x.batch === batch)) {
          const one = report.workers.find((x) => x.arch === arch && x.batch === batch && x.shards === r.shards && x.workers === 1);
          const tf = anchorRate(anchor('tfjs-wasm', arch, batch));
          wr.push([
            `${ARCH_NAME[arch]} b${batch}`, r.shards, r.workers, fmt(r.samplesPerSec, 0),
            `${r.stepMs.median.toFixed(1)} (${r.stepMs.p10.toFixed(1)}–${r.stepMs.p90.toFixed(1)})`,
            `${(r.overheadUs.median / 1000).toFixed(2)} ms`,
            `${(r.samplesPerSec / one.samplesPerSec).toFixed(2)}×`,
            tf ? `${(r.samplesPerSec / tf).toFixed(2)}×` : '—',
            `${r.peakRssMiB.toFixed(0)} MiB`,
          ]);
        }
      }
    }
    out.push(
      'Data-parallel training (coordinator benchmarkTraining: the Trainer, as `shardgrad train`; wasm kernels, MNIST), samples/s = the median of epochs 2–5 as the run reports them; step ms median (p10–p90)',
      table(['model batch', 'shards', 'workers', 'samples/s', 'step ms', 'overhead/step', 'vs 1 worker', 'vs tfjs-wasm', 'peak RSS'], wr),
      '',
    );
  }
  out.push('Where one epoch goes (every kernel call timed; copies into wasm memory count as kernel time; the wasm kernels fuse ReLU)', table(['model batch', 'kernel', 'epoch', 'gemmBias (+ ReLU)', 'gemmNT (+ ReLU′)', 'gemmTNAcc', 'rest (softmax + loss, gather, SGD)'], bd), '');
}

console.log(out.join('\n'));
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const file = fileURLToPath(new URL(`bench-${report.when.replace(/[:.]/g, '-')}.json`, dir));
writeFileSync(file + '.tmp', JSON.stringify(report, null, 2));
renameSync(file + '.tmp', file);
console.error(`wrote ${file.replace(here, 'bench/')}`);
