import { availableParallelism } from 'node:os';
import { benchmarkWorkers, type KernelChoice, type WorkerBenchRow } from '@shardgrad/coordinator';
import { errors, optimizerConfig, OPTIMIZERS, type OptimizerKind } from '@shardgrad/core';
import type { Argv } from 'yargs';
import { print } from '../io/stdout.js';
import { architectureOptions, specFromFlags, type ArchitectureFlags } from '../flags/architecture.js';
import { dataOptions, dataSourceFromFlags, loadData, type CsvFlags } from '../flags/data.js';
import { nonNegativeInt, numberOption, positiveInt, positiveIntList, workerCount } from '../flags/numbers.js';
import { progressBar } from '../render/progress-bar.js';
import { KERNEL_CHOICES } from './train.js';

interface BenchFlags extends ArchitectureFlags, CsvFlags {
  data: string;
  workers?: string;
  steps: unknown;
  warmup: unknown;
  batch: unknown;
  shards: unknown;
  seed: unknown;
  optimizer: OptimizerKind;
  kernel: KernelChoice;
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
    'Time training steps for several worker counts: samples/s, speed-up, parallel efficiency, per-step overhead',
    (a) =>
      architectureOptions(dataOptions(a), '128')
        .option('workers', { type: 'string', describe: 'worker counts, comma separated; speed-up is relative to the first [default: 1,2,4,… up to the cores]' })
        .option('steps', numberOption('timed steps per worker count', 30))
        .option('warmup', numberOption('untimed steps first', 5))
        .option('batch', numberOption(undefined, 256))
        .option('shards', numberOption(undefined, 16))
        .option('seed', numberOption(undefined, 1))
        .option('optimizer', { choices: OPTIMIZERS, default: 'sgd' as OptimizerKind })
        .option('kernel', { choices: KERNEL_CHOICES, default: 'auto' as KernelChoice, describe: 'matrix kernels: auto = native where available, else wasm' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per worker count, one per line' })
        .example('$0 bench', '784-128-10 on MNIST, batch 256, for 1, 2, … workers')
        .example('$0 bench --workers 1,2 --batch 64 --steps 50 --json', 'small batches, where per-step overhead shows, as JSON lines'),
    (argv) => bench(argv as unknown as BenchFlags),
  );
}

async function bench(f: BenchFlags): Promise<void> {
  const counts = f.workers === undefined ? defaultWorkerCounts() : positiveIntList('--workers', f.workers).map((w) => workerCount('--workers', w, availableParallelism()));
  const steps = positiveInt('--steps', f.steps);
  const warmup = nonNegativeInt('--warmup', f.warmup);
  const batch = positiveInt('--batch', f.batch);
  const shards = positiveInt('--shards', f.shards);
  const data = loadData(dataSourceFromFlags(f.data, f), nonNegativeInt('--seed', f.seed));
  if (batch > data.trainRows.length) throw errors.badInput('--batch', `${batch} is larger than the ${data.trainRows.length} training rows`);
  const spec = specFromFlags(f, '128', data);
  const bar = f.json ? null : progressBar(counts.length, 'benchmarking {bar} {value}/{total} worker counts | ETA {eta_formatted}');
  const rows: WorkerBenchRow[] = [];
  // the header names the kernels in use, known once the first count has run (--kernel auto resolved)
  const head = (kernel: string) =>
    `${spec.sizes.join('-')} on ${data.name}, batch ${batch}, ${shards} shards, ${kernel} kernels, ${steps} timed steps per worker count (medians, 10th–90th percentile)\n` +
    `${'workers'.padStart(7)} ${'samples/s'.padStart(10)} ${'speed-up'.padStart(8)} ${'efficiency'.padStart(10)} ${'step ms'.padStart(18)} ${'overhead µs/step'.padStart(20)}`;
  for (const workers of counts) {
    // one count at a time, so each row prints as soon as it is measured
    const [row] = await benchmarkWorkers({ spec, batch, steps, warmup, workerCounts: [workers], kernel: f.kernel, shards, data, optimizer: optimizerConfig(f.optimizer) });
    const speedup = rows.length ? row.samplesPerSec / rows[0].samplesPerSec : 1;
    const r: WorkerBenchRow = { ...row, speedup, efficiency: (speedup * Math.max(1, counts[0])) / Math.max(1, workers) };
    rows.push(r);
    if (f.json) {
      print(JSON.stringify({ type: 'bench', ...r, batch, shards, steps }) + '\n');
    } else {
      if (rows.length === 1) {
        if (bar) bar.log(head(r.kernel));
        else print(head(r.kernel) + '\n');
      }
      const s = r.stepMs;
      const o = r.overheadUs;
      const line =
        `${String(workers).padStart(7)} ${Math.round(r.samplesPerSec).toString().padStart(10)} ${r.speedup.toFixed(2).padStart(8)} ${(100 * r.efficiency).toFixed(0).padStart(9)}% ` +
        `${`${s.median.toFixed(2)} [${s.p10.toFixed(2)}–${s.p90.toFixed(2)}]`.padStart(18)} ${`${o.median.toFixed(0)} [${o.p10.toFixed(0)}–${o.p90.toFixed(0)}]`.padStart(20)}`;
      if (bar) bar.log(line);
      else print(line + '\n');
    }
    bar?.update(rows.length, {});
  }
  bar?.stop();
}
