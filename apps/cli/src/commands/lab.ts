import { availableParallelism } from 'node:os';
import { errors, optimizerConfig, OPTIMIZERS, skipsSuffix, type OptimizerKind } from '@shardgrad/core';
import { checkWritable, writeFileAtomic, type KernelChoice } from '@shardgrad/coordinator';
import type { Argv } from 'yargs';
import { architectureOptions, specFromFlags, type ArchitectureFlags } from '../flags/architecture.js';
import { DATA_DESCRIBE, dataSourceFromFlags, loadData } from '../flags/data.js';
import { nonNegativeInt, numberOption, positive, positiveInt, positiveIntList, workerCount } from '../flags/numbers.js';
import { fmtLr, MIN_RUN_STEPS, runBatchLab, type LabReport, type LabRun, type LabSettings } from '../lab/batch-lab.js';
import { print } from '../io/stdout.js';
import { frontierChart, frontierSvg } from '../render/frontier-plot.js';
import { KERNEL_CHOICES } from './train.js';

interface LabFlags extends ArchitectureFlags {
  data: string;
  seed: unknown;
  batches: unknown;
  lr: unknown;
  optimizer: OptimizerKind;
  targetLoss: unknown;
  window: unknown;
  maxEpochs: unknown;
  shards: unknown;
  workers?: unknown;
  warmupExamples: unknown;
  noiseBatch: unknown;
  noiseBatches: unknown;
  noiseShards: unknown;
  kernel: KernelChoice;
  plot?: string;
  json: boolean;
}

export const LAB_DEFAULTS = {
  batches: '8,16,32,64,128,256,512,1024,2048',
  lr: 0.05,
  targetLoss: 0.3,
  window: 2048,
  maxEpochs: 30,
  shards: 8,
  warmupExamples: 8192,
  noiseBatch: 1000,
  noiseBatches: 8,
  noiseShards: 16,
} as const;

export function registerLab(y: Argv): Argv {
  return y.command('lab', 'Experiments that teach data-parallel training (lab batch: how big a batch)', (a) =>
    a
      .command(
        'batch',
        'Train to a target loss at a range of batch sizes (each with its learning rate tuned), fit the steps–examples frontier and compare B_crit with the gradient noise scale B_simple',
        (b) =>
          architectureOptions(b, '128')
            .option('data', { type: 'string', default: 'mnist', describe: DATA_DESCRIBE })
            .option('seed', numberOption('seed of the weights, the shuffles and the built-in 2D sets', 1))
            .option('batches', { type: 'string', default: LAB_DEFAULTS.batches, describe: 'the batch sizes, comma separated' })
            .option('lr', numberOption('η₀: the smallest batch tries η₀/2, η₀ and 2η₀; each next batch size tries η*, √2·η*, 2η* (η* the previous best)', LAB_DEFAULTS.lr))
            .option('optimizer', { choices: OPTIMIZERS, default: 'sgd' as OptimizerKind })
            .option('target-loss', numberOption('the training loss to reach: the mean minibatch loss over the last --window examples', LAB_DEFAULTS.targetLoss))
            .option('window', numberOption('examples the training loss is averaged over', LAB_DEFAULTS.window))
            .option('max-epochs', numberOption(`epochs a run may take (or ${MIN_RUN_STEPS} steps, where those are more) before it counts as not reaching the target`, LAB_DEFAULTS.maxEpochs))
            .option('shards', numberOption('virtual shards per batch of every run', LAB_DEFAULTS.shards))
            .option('workers', numberOption('worker threads of every run (the same bits for any count) [default: 0 below batch 256, else one per core]'))
            .option('warmup-examples', numberOption('the linear-scaling runs with warmup warm up over ⌈N/B⌉ steps', LAB_DEFAULTS.warmupExamples))
            .option('noise-batch', numberOption('B_simple at the target is measured on batches of this many training rows', LAB_DEFAULTS.noiseBatch))
            .option('noise-batches', numberOption('… and this many of them (fewer where the training rows run out)', LAB_DEFAULTS.noiseBatches))
            .option('noise-shards', numberOption('… each cut into this many groups', LAB_DEFAULTS.noiseShards))
            .option('kernel', { choices: KERNEL_CHOICES, default: 'auto' as KernelChoice })
            .option('plot', { type: 'string', describe: 'write the S–E frontier with B_crit and B_simple as an SVG file' })
            .option('json', { type: 'boolean', default: false, describe: 'one JSON object per run, per batch size, then the summary' })
            .example('$0 lab batch --plot frontier.svg', 'MNIST 784-128-10 at batch sizes 8 … 4096 (docs/teaching.md)')
            .example('$0 lab batch --data blobs:2000 --hidden 16 --batches 4,16,64 --target-loss 0.2', 'a small set in seconds')
            .epilogue('Every run is an ordinary training run (the run `shardgrad train` makes with the same settings and --val-split 0), stopped after the step that reaches the target.'),
        (argv) => runLab(argv as unknown as LabFlags),
      )
      .demandCommand(1, 'name an experiment: batch'),
  );
}

async function runLab(f: LabFlags): Promise<void> {
  const batches = [...new Set(positiveIntList('--batches', f.batches))].sort((p, q) => p - q);
  const seed = nonNegativeInt('--seed', f.seed);
  const shards = positiveInt('--shards', f.shards);
  const workers = f.workers === undefined ? undefined : workerCount('--workers', f.workers, availableParallelism());
  const settingsNoData = {
    optimizer: optimizerConfig(f.optimizer),
    batches,
    lr: positive('--lr', f.lr),
    targetLoss: positive('--target-loss', f.targetLoss),
    window: positiveInt('--window', f.window),
    maxEpochs: positiveInt('--max-epochs', f.maxEpochs),
    shards,
    seed,
    kernel: f.kernel,
    workers: (B: number) => workers ?? (B >= 256 ? availableParallelism() : 0),
    warmupExamples: nonNegativeInt('--warmup-examples', f.warmupExamples),
    noiseBatch: positiveInt('--noise-batch', f.noiseBatch),
    noiseBatches: positiveInt('--noise-batches', f.noiseBatches),
    noiseShards: positiveInt('--noise-shards', f.noiseShards),
  };
  if (settingsNoData.noiseShards < 2) throw errors.badInput('--noise-shards', 'must be at least 2: the noise scale compares groups of rows');
  if (settingsNoData.noiseBatch < 2) throw errors.badInput('--noise-batch', 'must be at least 2 rows (the noise scale compares groups of rows)');
  if (f.plot !== undefined) checkWritable('--plot', f.plot);
  const source = dataSourceFromFlags(f.data);
  const data = loadData(source, seed);
  const nTrain = data.trainRows.length;
  const tooBig = batches.find((B) => B > nTrain);
  if (tooBig !== undefined) throw errors.badInput('--batches', `${tooBig} is larger than the ${nTrain} training rows of ${data.name}`);
  const spec = specFromFlags(f, '128', data);
  const settings: LabSettings = { ...settingsNoData, data, spec, preprocess: source.kind === 'mnist' || source.kind === 'idx' ? 'none' : 'standardize' };
  const started = performance.now();
  const live = !f.json && process.stderr.isTTY;
  const report = await runBatchLab(settings, (what, run) => {
    if (f.json && run) print(JSON.stringify({ type: 'run', ...run }) + '\n');
    if (live) process.stderr.write(run ? `\r\x1b[K  ${describeRun(run)}\n` : `\r\x1b[K${what}…`);
  });
  if (live) process.stderr.write('\r\x1b[K');
  const seconds = (performance.now() - started) / 1000;
  const title = `${spec.sizes.join('-')}${skipsSuffix(spec)} on ${data.name}, ${f.optimizer}, to training loss ${settings.targetLoss}`;
  const points = report.results.filter((r) => r.best).map((r) => ({ batch: r.batch, steps: r.best!.steps }));
  if (f.plot !== undefined) writeFileAtomic(f.plot, frontierSvg(points, report.fit, report.bSimple, title));
  if (f.json) {
    for (const r of report.results)
      print(JSON.stringify({ type: 'batch', batch: r.batch, lr: r.best?.lr ?? null, steps: r.best?.steps ?? null, examples: r.best?.examples ?? null, ...(r.noise ?? { gradSq: null, traceSigma: null, bSimple: null }) }) + '\n');
    for (const l of report.linear) print(JSON.stringify({ type: 'linear', batch: l.batch, lr: l.lr, plain: l.plain, warmup: l.warmup }) + '\n');
    for (const n of report.noiseVsLoss) print(JSON.stringify({ type: 'noise-vs-loss', ...n }) + '\n');
    print(JSON.stringify({ type: 'summary', sMin: report.fit.sMin, eMin: report.fit.eMin, bCrit: report.fit.bCrit, bSimple: report.bSimple, seconds }) + '\n');
    return;
  }
  print(formatReport(report, settings, title, seconds).join('\n') + '\n');
  if (f.plot !== undefined) print(`the frontier: ${f.plot}\n`);
}

function describeRun(r: LabRun): string {
  const warm = r.warmupSteps ? `, warmup ${r.warmupSteps}` : '';
  return `batch ${r.batch}, lr ${fmtLr(r.lr)}${warm}: ${r.outcome === 'reached' ? `${r.steps} steps` : `${r.outcome} (${r.steps} steps)`}`;
}

const int = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : '—');
const short = (r: LabRun) => (r.outcome === 'reached' ? String(r.steps) : r.outcome === 'diverged' ? 'diverged' : r.outcome === 'slower' ? `>${r.steps}` : `not in ${r.steps}`);

function formatReport(report: LabReport, s: LabSettings, title: string, seconds: number): string[] {
  const { fit } = report;
  const out = [
    `Batch-size lab: ${title}`,
    `(training loss = mean minibatch loss over the last ${s.window} examples; at most ${s.maxEpochs} epochs a run; ${s.shards} shards; ${seconds.toFixed(0)} s)`,
    '',
    `${'batch'.padStart(6)}${'best lr'.padStart(9)}${'steps S'.padStart(9)}${'examples E'.padStart(12)}${'B_simple'.padStart(10)}   the grid (lr: steps)`,
  ];
  for (const r of report.results) {
    const grid = r.runs.map((x) => `${fmtLr(x.lr)}: ${short(x)}`).join(', ');
    const b = r.best;
    out.push(`${String(r.batch).padStart(6)}${(b ? fmtLr(b.lr) : '—').padStart(9)}${(b ? String(b.steps) : '—').padStart(9)}${(b ? String(b.examples) : '—').padStart(12)}${(r.noise ? int(r.noise.bSimple) : '—').padStart(10)}   ${grid}`);
  }
  out.push('');
  out.push(`fit of (S/S_min − 1)(E/E_min − 1) = 1:  S_min = ${int(fit.sMin)} steps, E_min = ${int(fit.eMin)} examples`);
  out.push(`B_crit = E_min/S_min = ${int(fit.bCrit)}    B_simple at the target (mean tr(Σ) / mean |G|² over the models above) = ${int(report.bSimple)}    ratio ${(report.bSimple / fit.bCrit).toFixed(2)}`);
  if (report.noiseVsLoss.length) out.push(`B_simple as the loss falls (batch ${report.noiseVsLoss[0].batch}): ${report.noiseVsLoss.map((n) => `loss ${n.targetLoss} → ${int(n.bSimple)}`).join(', ')}`);
  if (report.linear.length) {
    out.push('');
    out.push(`linear scaling η = η(${report.results[0].batch})·B/${report.results[0].batch}, steps to the target without and with warmup (runs stop at 3× the tuned steps):`);
    out.push(`${'batch'.padStart(6)}${'lr'.padStart(9)}${'tuned'.padStart(9)}${'no warmup'.padStart(14)}${'warmup'.padStart(24)}`);
    for (const l of report.linear) {
      const tuned = report.results.find((r) => r.batch === l.batch)?.best?.steps;
      out.push(`${String(l.batch).padStart(6)}${fmtLr(l.lr).padStart(9)}${(tuned !== undefined ? String(tuned) : '—').padStart(9)}${short(l.plain).padStart(14)}${`${short(l.warmup)} (${l.warmup.warmupSteps} steps)`.padStart(24)}`);
    }
  }
  out.push('');
  out.push(...frontierChart(report.results.filter((r) => r.best).map((r) => ({ batch: r.batch, steps: r.best!.steps })), fit, report.bSimple));
  return out;
}
