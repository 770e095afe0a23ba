// GFLOP/s of the three backprop products at batch 256 on the layers of 784-256-128-10 and
// 784-1024-1024-10: native (each variant this CPU runs), wasm-relaxed (copy-in/out, through the
// Kernels interface) and, alternating in the same rounds, NumPy and PyTorch on OpenBLAS in one
// thread (blas-gemm.py; OPENBLAS_CORETYPE=SkylakeX). Writes bench/results/native-kernels-<time>.json
// with every repetition, medians, min–max and the load average.
//
//   node packages/native/bench/kernels.mjs [--rounds 5] [--no-blas] [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const core = await import('../../core/dist/index.js');
const native = await import('../dist/index.js');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const ROUNDS = Number(opt('rounds', 5));
const PYTHON = opt('python', '/usr/bin/python3');
const BLAS = !argv.includes('--no-blas');
const M = 256;

/** (layer name, k inputs, n outputs) */
const LAYERS = [
  ['784-256-128-10: 784→256', 784, 256],
  ['784-256-128-10: 256→128', 256, 128],
  ['784-256-128-10: 128→10', 128, 10],
  ['784-1024-1024-10: 784→1024', 784, 1024],
  ['784-1024-1024-10: 1024→1024', 1024, 1024],
  ['784-1024-1024-10: 1024→10', 1024, 10],
];
const PRODUCTS = ['gemmBias', 'gemmNT', 'gemmTNAcc'];

await core.enableRelaxedSimd();
const wasm = await core.loadWasmKernels({ flavor: 'relaxed' });
const impls = [...native.nativeIsas().map((isa) => native.loadNativeKernels(wasm, { isa })), wasm];

const rng = new core.Rng(1);
const rand = (n) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
const operands = LAYERS.map(([, k, n]) => ({ y: rand(M * k), W: rand(k * n), b: rand(n), dv: rand(M * n), v: new Float32Array(M * n), dy: new Float32Array(M * k), dW: new Float32Array(k * n), db: new Float32Array(n) }));

function call(kernels, product, li) {
  const [, k, n] = LAYERS[li];
  const o = operands[li];
  if (product === 'gemmBias') return () => kernels.gemmBias(o.v, o.y, o.W, o.b, M, k, n);
  if (product === 'gemmNT') return () => kernels.gemmNT(o.dy, o.dv, o.W, M, n, k);
  return () => kernels.gemmTNAcc(o.dW, o.db, o.y, o.dv, M, k, n);
}

/** GFLOP/s of one repetition: calls until ≥ minMs have passed (after two warm-up calls). */
function gflops(fn, flops, minMs = 120) {
  fn();
  fn();
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    calls++;
    t = performance.now();
  }
  return (flops * calls) / ((t - t0) / 1000) / 1e9;
}

const samples = {}; // key "layer|product|impl" → GFLOP/s per round
const add = (key, x) => (samples[key] ??= []).push(x);
const loads = [];
for (let r = 0; r < ROUNDS; r++) {
  loads.push(os.loadavg()[0]);
  for (let li = 0; li < LAYERS.length; li++)
    for (const product of PRODUCTS) for (const k of impls) add(`${LAYERS[li][0]}|${product}|${k.name}`, gflops(call(k, product, li), 2 * M * LAYERS[li][1] * LAYERS[li][2]));
  if (BLAS) {
    const shapes = LAYERS.map(([name, k, n]) => ({ name, m: M, k, n }));
    const res = spawnSync(PYTHON, [fileURLToPath(new URL('./blas-gemm.py', import.meta.url)), JSON.stringify(shapes)], {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' },
    });
    if (res.status !== 0) throw new Error(`blas-gemm.py failed: ${res.stderr}`);
    for (const line of res.stdout.trim().split('\n')) {
      const x = JSON.parse(line);
      add(`${x.name}|${x.product}|${x.system}`, x.gflops);
    }
  }
  console.error(`round ${r + 1}/${ROUNDS} done (load ${os.loadavg()[0].toFixed(2)})`);
}
loads.push(os.loadavg()[0]);

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return { median: s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
};
const results = Object.entries(samples).map(([key, xs]) => {
  const [layer, product, impl] = key.split('|');
  return { layer, product, impl, gflops: stat(xs), samples: xs };
});
const systems = [...new Set(results.map((r) => r.impl))];
const f = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
console.log(`| layer, batch ${M} | product | ${systems.join(' | ')} |`);
console.log(`|---|---|${systems.map(() => '---').join('|')}|`);
for (const [layer] of LAYERS)
  for (const product of PRODUCTS)
    console.log(`| ${layer} | ${product} | ${systems.map((s) => { const r = results.find((x) => x.layer === layer && x.product === product && x.impl === s); return r ? f(r.gflops) : '–'; }).join(' | ')} |`);

const when = new Date().toISOString();
const out = fileURLToPath(new URL(`../../../bench/results/native-kernels-${when.replace(/[:.]/g, '-')}.json`, import.meta.url));
mkdirSync(new URL('../../../bench/results/', import.meta.url), { recursive: true });
writeFileSync(out, JSON.stringify({ bench: 'native-kernels', when, batch: M, rounds: ROUNDS, cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadAverage: stat(loads), results }, null, 1) + '\n');
console.error(`wrote ${out}`);
