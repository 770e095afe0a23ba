import { availableParallelism } from 'node:os';
import { benchmarkLocal, benchmarkTraining, defaultShards, projectEfficiency, SETTINGS, type TrainBenchRow } from '@shardgrad/coordinator';
import { errors, optimizerConfig } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { architectureOptions, specFromFlags, type ArchitectureFlags } from '../flags/architecture.js';
import { dataOptions, dataSourceFromFlags, loadData, type CsvFlags } from '../flags/data.js';
import { numberOption, positiveInt, positiveIntList, workerCount } from '../flags/numbers.js';
import { settingFromFlag, settingOption } from '../flags/settings.js';
import { progressBar } from '../render/progress-bar.js';

/** The training settings bench takes as train does (flag, default, check from the settings schema). */
const BENCH_SETTINGS = ['batch', 'shards', 'seed', 'optimizer', 'kernel'] as const;

interface BenchFlags extends ArchitectureFlags, CsvFlags {
  data: string;
  workers?: string;
  epochs: unknown;
  json: boolean;
}

/** 1, 2, 4, … up to the core count, and the core count itself. */
function defaultWorkerCounts(): number[] {
  const cores = availableParallelism();
  const counts: number[] = [];
  for (let w = 1; w < cores; w *= 2) counts.push(w);
  counts.push(cores);
  return counts;
}

export function registerBench(y: Argv): Argv {
  return y.command(
    'bench',
    'Time training as `shardgrad train` runs it: the single-threaded loop (trainLocal), then the engine for several worker counts — epoch samples/s, speed-up and efficiency against trainLocal, serial time per step, a projection to more workers',
    (a) =>
      architectureOptions(dataOptions(a), '128')
        .option('workers', { type: 'string', describe: 'worker counts, comma separated; speed-up is relative to the first [default: 1,2,4,… up to the cores]' })
        .option('epochs', numberOption('epochs per worker count: the first warms up, the others are timed', 5))
        // the training settings bench shares with train: flags, defaults and checks from the settings schema
        .options(Object.fromEntries(BENCH_SETTINGS.map((name) => [SETTINGS[name].flag.slice(2), settingOption(name)])))
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per worker count, one per line' })
        .example('$0 bench', "784-128-10 on MNIST, batch 64 (train's defaults): trainLocal, then 1, 2, … workers")
        .example('$0 bench --workers 1,2 --hidden 256,128 --batch 256 --json', 'a larger net, as JSON lines'),
    (argv) => bench(argv as unknown as BenchFlags),
  );
}

async function bench(f: BenchFlags): Promise<void> {
  const counts = f.workers === undefined ? defaultWorkerCounts() : positiveIntList('--workers', f.workers).map((w) => workerCount('--workers', w, availableParallelism()));
  const epochs = positiveInt('--epochs', f.epochs);
  if (epochs < 2) throw errors.badInput('--epochs', `must be at least 2 (one warm-up epoch, then timed ones), got ${epochs}`);
  const argv = f as unknown as Record<string, unknown>;
  const batch = settingFromFlag('batch', argv)!;
  const shards = settingFromFlag('shards', argv) ?? defaultShards(batch);
  const kernel = settingFromFlag('kernel', argv)!;
  const data = loadData(dataSourceFromFlags(f.data, f), settingFromFlag('seed', argv)!);
  if (batch > data.trainRows.length) throw errors.badInput('--batch', `${batch} is larger than the ${data.trainRows.length} training rows`);
  const spec = specFromFlags(f, '128', data);
  const bar = f.json ? null : progressBar(counts.length + 1, 'benchmarking {bar} {value}/{total} | ETA {eta_formatted}');
  const optimizer = optimizerConfig(settingFromFlag('optimizer', argv)!);
  const out = (line: string) => (bar ? bar.log(line) : print(line + '\n'));
  // the baseline: the same math in one thread without the engine (no shards, no tree, no barrier), over the same rows
  const steps = Math.floor(data.trainRows.length / batch);
  const local = await benchmarkLocal({ spec, batch, steps, kernel, data, optimizer, rounds: epochs - 1 });
  bar?.update(1, {});
  const base = local.samplesPerSec.median;
  const rows: TrainBenchRow[] = [];
  const head = (kernel: string) =>
    `${spec.sizes.join('-')} on ${data.name}, batch ${batch}, ${shards} shards, ${kernel} kernels, ${epochs - 1} timed epochs as \`shardgrad train\` runs them; speed-up and efficiency against trainLocal (medians, 10th–90th percentile)\n` +
    `${'workers'.padStart(10)} ${'samples/s'.padStart(10)} ${'speed-up'.padStart(8)} ${'efficiency'.padStart(10)} ${'step ms'.padStart(18)} ${'serial µs/step'.padStart(20)}`;
  for (const workers of counts) {
    // one count at a time, so each row prints as soon as it is measured
    const [row] = await benchmarkTraining({ spec, batch, epochs, workerCounts: [workers], kernel, shards, data, optimizer });
    const speedup = row.samplesPerSec / base;
    const r: TrainBenchRow = { ...row, speedup, efficiency: speedup / Math.max(1, workers) };
    rows.push(r);
    if (f.json) {
      if (rows.length === 1) print(JSON.stringify({ type: 'bench', workers: 'trainLocal', samplesPerSec: base, samplesPerSecSpread: local.samplesPerSec, kernel: r.kernel, batch, epochs }) + '\n');
      print(JSON.stringify({ type: 'bench', ...r, batch, epochs }) + '\n');
    } else {
      if (rows.length === 1) {
        out(head(r.kernel));
        const l = local.samplesPerSec;
        out(`${'trainLocal'.padStart(10)} ${Math.round(base).toString().padStart(10)} ${'1.00'.padStart(8)} ${'—'.padStart(10)} ${`[${Math.round(l.p10)}–${Math.round(l.p90)}] samples/s`.padStart(18)}`);
      }
      const s = r.stepMs;
      const o = r.overheadUs;
      out(
        `${String(workers).padStart(10)} ${Math.round(r.samplesPerSec).toString().padStart(10)} ${r.speedup.toFixed(2).padStart(8)} ${(100 * r.efficiency).toFixed(0).padStart(9)}% ` +
          `${`${s.median.toFixed(2)} [${s.p10.toFixed(2)}–${s.p90.toFixed(2)}]`.padStart(18)} ${`${o.median.toFixed(0)} [${o.p10.toFixed(0)}–${o.p90.toFixed(0)}]`.padStart(20)}`,
      );
    }
    bar?.update(rows.length + 1, {});
  }
  const projection = Object.fromEntries([4, 8, 16, 64].map((W) => [W, projectEfficiency(rows, W)]));
  if (f.json) print(JSON.stringify({ type: 'projection', basis: 'the measured serial time per step, growing linearly with the workers; the math split evenly', efficiency: projection }) + '\n');
  else if (Object.values(projection).every((e) => e !== undefined))
    out(`projection (not measured; math split evenly, serial time growing as measured): efficiency against 1 worker at 4 / 8 / 16 / 64 workers ${[4, 8, 16, 64].map((W) => `${(100 * projection[W]!).toFixed(0)} %`).join(' / ')}`);
  bar?.stop();
}
