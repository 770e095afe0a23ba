// What the live gradient-noise estimate costs (issue 20): `shardgrad train --json` (the median of
// its epochs 2–5, what a user reads) with --noise-every 0 (off) and N (--every, default 1),
// alternated round by round, for 784-128-10 b64 (the CLI's defaults) and 784-256-128-10 b256, with
// 1 and 2 workers; the cost is 1 − on/off within a round, then its median and min–max over the
// rounds. Beside it, the pass alone: the kernels' noiseHalves over one worker's share of the
// parameters (P / workers), µs a call (median of 200 calls × 7), and that as a share of the
// measured step time — a figure the machine's noise does not swamp.
//
//   pnpm build && node bench/noise-cost.mjs [--rounds 5] [--every N] [--arch A|B] [--workers 1,2] [--kernel native]
//
// Writes bench/results/noise-cost-<time>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHS, flagsOf, stats } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'apps/cli/dist/main.js');
const args = flagsOf(process.argv.slice(2));
const rounds = Number(args.rounds ?? 5);
const archs = args.arch ? [args.arch] : ['A', 'B'];
const workerCounts = String(args.workers ?? '1,2').split(',').map(Number);
const kernel = args.kernel ?? 'native';
/** the setting measured against 0 (off): --every N (default 1, every step) */
const every = Number(args.every ?? 1);
const BATCH = { A: 64, B: 256 };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'shardgrad-noise-cost-'));

/** `shardgrad train --json`, 5 epochs: the median samples/s of epochs 2–5 and the mean step time (ms). */
function train(arch, workers, noiseEvery) {
  const hidden = ARCHS[arch].slice(1, -1).join(',');
  const argv = [cli, 'train', '--hidden', hidden, '--batch', String(BATCH[arch]), '--workers', String(workers), '--kernel', kernel, '--epochs', '5', '--noise-every', String(noiseEvery), '--json', '--out', path.join(tmp, 'm.sgm')];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 28, cwd: tmp });
  if (r.status !== 0) throw new Error(`train failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const rate = stats(lines.filter((l) => l.type === 'epoch').slice(1).map((e) => e.samplesPerSec)).median;
  return { samplesPerSec: rate, stepMs: (1000 * BATCH[arch]) / rate, kernel: lines.find((l) => l.type === 'summary')?.kernel };
}

/** The pass alone: noiseHalves over P/workers parameters (one worker's slice), µs a call. */
async function pass(arch, workers) {
  const core = await import('../packages/core/dist/index.js');
  const { createKernels } = await import('../packages/worker/dist/index.js');
  const sizes = ARCHS[arch];
  const P = core.specLayout({ sizes }).total;
  const { kernels } = await createKernels(kernel);
  const n = Math.ceil(P / workers);
  const a = Float32Array.from({ length: P }, (_, i) => Math.sin(i) * 1e-3);
  const b = Float32Array.from({ length: P }, (_, i) => Math.cos(i) * 1e-3);
  const partials = new Float64Array(2 * core.noiseBlockCount(P));
  const blocks = Math.ceil(n / core.NOISE_BLOCK);
  const call = () => kernels.noiseHalves?.(a, b, BATCH[arch] / 2, BATCH[arch] / 2, P, 0, blocks, partials) || core.noiseHalvesPartials(a, b, BATCH[arch] / 2, BATCH[arch] / 2, P, 0, blocks, partials);
  const times = [];
  for (let rep = 0; rep < 7; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) call();
    times.push(((performance.now() - t0) / 200) * 1000);
  }
  return { params: n, us: stats(times), kernel: kernels.name };
}

const results = [];
for (const arch of archs)
  for (const workers of workerCounts) {
    const costs = [];
    const on = [];
    const off = [];
    for (let r = 0; r < rounds; r++) {
      // alternate which goes first, so a drift in the machine's speed hits both alike
      const pair = r % 2 === 0 ? [train(arch, workers, 0), train(arch, workers, every)] : [train(arch, workers, every), train(arch, workers, 0)].reverse();
      off.push(pair[0].samplesPerSec);
      on.push(pair[1].samplesPerSec);
      costs.push(1 - pair[1].samplesPerSec / pair[0].samplesPerSec);
    }
    const p = await pass(arch, workers);
    const stepMs = (1000 * BATCH[arch]) / stats(on).median;
    const row = {
      net: ARCHS[arch].join('-'),
      batch: BATCH[arch],
      workers,
      kernel: p.kernel,
      samplesPerSecOff: stats(off),
      samplesPerSecOn: stats(on),
      noiseEvery: every,
      endToEndCost: stats(costs),
      pass: { params: p.params, us: p.us, shareOfStep: p.us.median / 1000 / stepMs, shareOfStepAveraged: p.us.median / 1000 / stepMs / every },
    };
    results.push(row);
    console.log(
      `${row.net} b${row.batch} ${workers}w: off ${Math.round(row.samplesPerSecOff.median)}, on ${Math.round(row.samplesPerSecOn.median)} samples/s; end-to-end cost ${(100 * row.endToEndCost.median).toFixed(1)} % ` +
        `(${(100 * row.endToEndCost.min).toFixed(1)} … ${(100 * row.endToEndCost.max).toFixed(1)}) at --noise-every ${every}; the pass ${row.pass.us.median.toFixed(1)} µs over ${p.params} params = ${(100 * row.pass.shareOfStep).toFixed(2)} % of a ${stepMs.toFixed(3)} ms step`,
    );
  }
mkdirSync(path.join(here, 'results'), { recursive: true });
const file = path.join(here, 'results', `noise-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg: os.loadavg(), rounds, results }, null, 2) + '\n');
console.log(`written ${path.relative(root, file)}`);
