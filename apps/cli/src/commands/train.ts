import { availableParallelism } from 'node:os';
import { mkdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  checkFolderWritable,
  checkWritable,
  DEFAULT_CHECKPOINT_NAME,
  defaultShards,
  describeData,
  flagOf,
  fsProblem,
  resumeNotes,
  saveModel,
  Trainer,
  writeFileAtomic,
  writeTarget,
  type DataSource,
  type Dataset,
  type KernelChoice,
  parseSchedule,
  withWarmupAndScaling,
  SETTINGS,
  settingOrDefault,
  settingsMeta,
  syncFor,
  type SettingName,
  type TrainConfig,
  type TrainResult,
} from '@shardgrad/coordinator';
import { ExitCode, isShardgradError, optimizerConfig, ShardgradError, errors, type Initializer, type Preprocess } from '@shardgrad/core';
import { FAULT_ENV, parseFaultSpec } from '@shardgrad/worker';
import type { Argv, Options } from 'yargs';
import { print } from '../io/stdout.js';
import { oddClassNameWarnings } from '../io/class-names.js';
import { architectureOptions, specFromFlags, type ArchitectureFlags } from '../flags/architecture.js';
import { dataHintOf, fineTuneModelFromFlags, fineTuneNote, fineTuneSpec, type FineTuneModel } from '../flags/from-model.js';
import { dataOptions, dataSourceFromFlags, loadData, testSplitFromFlags, type CsvFlags } from '../flags/data.js';
import { numberOption, positiveInt, workerCount } from '../flags/numbers.js';
import { settingFromFlag, settingOption, type FlagOverride } from '../flags/settings.js';
import { exitCodeOf, isStopSignal, onStopSignals, type StopSignal } from '../run/signals.js';
import { DISTRIBUTED_MODES, startDistributed, type Distributed, type DistributedMode } from '../run/distributed.js';
import { formatSummary, syncText, throughput } from '../render/summary.js';
import { svgPlot } from '../render/svg-plot.js';
import { reportMode, TrainReport } from '../render/train-report.js';

interface TrainFlags extends ArchitectureFlags, CsvFlags {
  data: string;
  limit?: unknown;
  // the training settings arrive as text (settingFromFlag parses and checks them)
  workers?: unknown;
  out: string;
  checkpoint?: string;
  checkpointEvery?: unknown;
  resume?: string;
  from?: string;
  json: boolean;
  plot?: string;
  init?: Initializer;
  preprocess?: Preprocess['kind'];
  distributed: DistributedMode;
  exchange: 'auto' | 'gather' | 'slices';
}

export const DEFAULT_HIDDEN = '128';
/** the --kernel choices of train and bench (the settings schema's) */
export const KERNEL_CHOICES: readonly KernelChoice[] = SETTINGS.kernel.choices;

/** The settings train takes as flags (--activation comes with the architecture flags). */
const TRAIN_SETTINGS = ['optimizer', 'weightDecay', 'lr', 'schedule', 'lrWarmup', 'lrScale', 'baseBatch', 'batch', 'epochs', 'workers', 'shards', 'seed', 'valSplit', 'earlyStop', 'noiseEvery', 'init', 'preprocess', 'kernel', 'sync', 'replicas', 'outer'] as const;

/** Their yargs options, from the schema; --init and --preprocess have no yargs default (train --from must see whether they were given). */
function trainSettingOptions(): Record<string, Options> {
  const overrides: Partial<Record<SettingName, FlagOverride>> = {
    init: { noDefault: true },
    preprocess: { noDefault: true, defaultDescription: 'none for mnist/idx, standardize otherwise' },
    workers: { defaultDescription: `the number of cores, ${availableParallelism()} here` },
  };
  return Object.fromEntries(TRAIN_SETTINGS.map((name) => [SETTINGS[name].flag.slice(2), settingOption(name, overrides[name])]));
}

export function registerTrain(y: Argv): Argv {
  return y.command(
    'train',
    'Train an MLP data-parallel over worker threads and save it (no flags: 784-128-10 on the MNIST digits)',
    (a) =>
      architectureOptions(dataOptions(a), DEFAULT_HIDDEN)
        .option('limit', numberOption('train on the first N training rows only (and at most N/4 validation rows): a quick run'))
        // the training settings: flags, choices, defaults and descriptions from the settings schema
        .options(trainSettingOptions())
        .option('out', { type: 'string', default: 'model.sgm', describe: 'model file to write (also on Ctrl-C without --checkpoint: the model so far)' })
        .option('checkpoint', { type: 'string', describe: `folder for checkpoints (${DEFAULT_CHECKPOINT_NAME}, written at each epoch end and on SIGINT/SIGTERM)` })
        .option('checkpoint-every', numberOption('also checkpoint every N steps (needs --checkpoint)'))
        .option('resume', { type: 'string', describe: `continue from a checkpoint file, or with no value from --checkpoint DIR/${DEFAULT_CHECKPOINT_NAME}` })
        .option('from', { type: 'string', describe: 'fine-tune a model file: network, parameters and input scaling from it, optimizer state at zero (not with --layers/--hidden/--activation/--output/--loss/--skip/--connect/--init/--preprocess/--resume)' })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line (type, epoch, step, loss, accuracy, samplesPerSec, elapsed) instead of the progress bar' })
        .option('plot', { type: 'string', describe: 'write the loss and accuracy curves as an SVG file' })
        .option('distributed', {
          choices: DISTRIBUTED_MODES,
          default: 'auto' as DistributedMode,
          describe: 'across processes over MPI: auto = when started by mpirun/srun (each rank runs --workers threads over its shards; rank 0 prints and writes); mpi = always; none = never',
        })
        .option('exchange', {
          choices: ['auto', 'gather', 'slices'] as const,
          default: 'auto' as const,
          describe: 'across MPI ranks: gather = every rank receives every rank\'s subtree sums (one Allgatherv) and updates all of θ; slices = each rank receives the sums for its slice of θ (Alltoallv), updates it, and the slices are gathered (Allgatherv); auto = gather for 2 ranks, slices for more; the same weights either way',
        })
        .example('$0 train', 'the default: 784-128-10 (relu, softmax + cross-entropy) on MNIST, SGD η 0.1, batch 64, 5 epochs → model.sgm')
        .example('$0 train --data xor --hidden 8 --lr 0.3 --epochs 40 --out xor.sgm', 'a small network on the built-in xor set')
        .example('$0 train --workers 2 --checkpoint ckpt --plot curves.svg', 'checkpoint every epoch; Ctrl-C stops cleanly; curves as SVG')
        .example('$0 train --checkpoint ckpt --resume', 'continue an interrupted run: same final weights as an uninterrupted one')
        .example('$0 train --data csv:iris.csv --hidden 16 --optimizer adam --lr 0.01 --json', 'a CSV file, JSON lines for scripts')
        .example('mpirun -np 2 $0 train --workers 1 --checkpoint ckpt', 'two processes (or machines) over MPI: the same weights as one process')
        .example('$0 train --from imported.sgm --data csv:new.csv --lr 0.01 --epochs 2', 'fine-tune a model (e.g. from shardgrad import) on new data'),
    (argv) => train(argv as unknown as TrainFlags),
  );
}

/** Samples in global step s (1-based): full batches, then the epoch's short last batch. */
function samplesInStep(s: number, stepsPerEpoch: number, trainRows: number, batch: number): number {
  const position = (s - 1) % stepsPerEpoch;
  return Math.min(batch, trainRows - position * batch);
}

function resumePath(f: TrainFlags): string | undefined {
  if (f.resume === undefined) return undefined;
  if (Array.isArray(f.resume)) throw errors.badInput('--resume', 'given more than once');
  if (f.resume !== '') return f.resume;
  if (f.checkpoint === undefined) throw errors.badInput('--resume', `needs a checkpoint file, or --checkpoint DIR to resume from DIR/${DEFAULT_CHECKPOINT_NAME}`);
  return path.join(f.checkpoint, DEFAULT_CHECKPOINT_NAME);
}

/** Every flag but --data, checked before anything big is loaded: each bad value is one line naming its flag. */
function settingsFromFlags(f: TrainFlags, dist?: Distributed) {
  const argv = f as unknown as Record<string, unknown>;
  const seed = settingFromFlag('seed', argv)!;
  const checkpointEvery = f.checkpointEvery === undefined ? undefined : positiveInt('--checkpoint-every', f.checkpointEvery);
  if (checkpointEvery !== undefined && f.checkpoint === undefined) throw errors.badInput('--checkpoint-every', 'needs --checkpoint DIR');
  const schedule = settingFromFlag('schedule', argv)!; // the form now; the step count once the data is known
  const batch = settingFromFlag('batch', argv)!;
  const warmupAndScaling = { lrWarmup: settingFromFlag('lrWarmup', argv), lrScale: settingFromFlag('lrScale', argv), baseBatch: settingFromFlag('baseBatch', argv) };
  withWarmupAndScaling(warmupAndScaling, { kind: 'constant' }, batch); // lrScale and baseBatch go together
  const cores = availableParallelism();
  // the ranks on one machine share its cores (the cores the launcher bound this rank to, if it did)
  const coresHere = !dist ? cores : dist.boundCores ?? Math.max(1, Math.floor(cores / dist.localSize));
  const settings = {
    seed,
    limit: f.limit === undefined ? undefined : positiveInt('--limit', f.limit),
    optimizer: settingFromFlag('optimizer', argv)!,
    weightDecay: settingFromFlag('weightDecay', argv),
    lr: settingFromFlag('lr', argv)!,
    schedule,
    warmupAndScaling,
    batch,
    epochs: settingFromFlag('epochs', argv)!,
    workers: f.workers === undefined ? coresHere : workerCount('--workers', f.workers, cores),
    shards: settingFromFlag('shards', argv) ?? defaultShards(batch),
    valSplit: settingFromFlag('valSplit', argv)!,
    testSplit: testSplitFromFlags(f),
    earlyStop: settingFromFlag('earlyStop', argv),
    noiseEvery: settingFromFlag('noiseEvery', argv)!,
    kernel: settingFromFlag('kernel', argv)!,
    checkpointEvery,
    resumeFrom: resumePath(f),
    // tests inject worker faults through the environment; the library itself takes them as an option
    fault: parseFaultSpec(process.env[FAULT_ENV]),
  };
  const sync = syncFor({ sync: settingFromFlag('sync', argv), replicas: settingFromFlag('replicas', argv), outer: settingFromFlag('outer', argv) }, settings.shards);
  if (dist && dist.size > 1 && sync?.kind === 'hogwild') throw errors.badSetting('sync', 'hogwild runs in one process, not across MPI ranks (use --sync step or local:H)');
  if (dist && sync?.kind === 'local' && sync.replicas < dist.size)
    throw errors.badSetting('replicas', `${sync.replicas}${argv.replicas === undefined ? ' (the default: the shards)' : ''} is fewer than the ${dist.size} MPI ranks (each rank runs at least one replica)`);
  if (dist?.boundCores !== undefined && settings.workers > dist.boundCores && dist.rank === 0)
    process.stderr.write(`shardgrad: the launcher bound each rank to ${dist.boundCores} core${dist.boundCores === 1 ? '' : 's'}, which its ${settings.workers} workers share: start mpirun with --bind-to none (or fewer --workers)\n`);
  if (dist && settings.shards < dist.size)
    throw errors.badInput('--shards', `${settings.shards}${argv.shards === undefined ? ` (the default for --batch ${settings.batch})` : ''} is fewer than the ${dist.size} MPI ranks (each rank needs at least one shard): give --shards ${dist.size} or more`);
  if (!dist || dist.rank === 0) checkOutputs(f);
  return { ...settings, ...(sync ? { sync } : {}) };
}

/**
 * Every output path, checked before any work so a long run does not end in a write error: the
 * model and plot files must be writable regular files (or new ones), and the checkpoint folder
 * must exist or be creatable, and accept files.
 */
function checkOutputs(f: TrainFlags): void {
  checkWritable('--out', f.out);
  if (f.plot !== undefined) {
    checkWritable('--plot', f.plot);
    if (writeTarget(f.plot, '--plot') === writeTarget(f.out, '--out')) throw errors.badInput('--plot', `${f.plot} is also the --out model file`);
  }
  if (f.checkpoint !== undefined) {
    if (f.checkpoint.trim() === '') throw errors.badInput('--checkpoint', 'needs a folder name');
    checkFolderWritable('--checkpoint', f.checkpoint);
    writeTarget(path.join(f.checkpoint, DEFAULT_CHECKPOINT_NAME), '--checkpoint'); // no device or FIFO in its place
  }
}

/** The TrainConfig for the loaded data; the network flags are checked against its sizes here. */
function configFor(f: TrainFlags, s: ReturnType<typeof settingsFromFlags>, data: Dataset, source: DataSource, dist?: Distributed, from?: FineTuneModel): TrainConfig {
  const nTrain = data.trainRows.length - Math.round(data.trainRows.length * s.valSplit);
  // MNIST and IDX pixels are already in [0, 1]; other data is standardized unless told otherwise
  const scaled = source.kind === 'mnist' || source.kind === 'idx';
  return {
    data,
    spec: from ? fineTuneSpec(from, data) : specFromFlags(f, DEFAULT_HIDDEN, data),
    optimizer: optimizerConfig(s.optimizer, s.weightDecay === undefined ? {} : { weightDecay: s.weightDecay }),
    lr: s.lr,
    schedule: withWarmupAndScaling(s.warmupAndScaling, parseSchedule(s.schedule, s.epochs * Math.ceil(Math.max(nTrain, 1) / s.batch)), s.batch),
    batch: s.batch,
    epochs: s.epochs,
    workers: s.workers,
    shards: s.shards,
    seed: s.seed,
    init: settingOrDefault('init', f.init),
    valSplit: s.valSplit,
    preprocess: f.preprocess ?? (scaled ? 'none' : settingOrDefault('preprocess', undefined)),
    ...(s.earlyStop !== undefined ? { earlyStop: s.earlyStop } : {}),
    ...(f.checkpoint !== undefined ? { checkpointDir: f.checkpoint } : {}),
    ...(s.checkpointEvery !== undefined ? { checkpointEvery: s.checkpointEvery } : {}),
    ...(s.resumeFrom !== undefined ? { resumeFrom: s.resumeFrom } : {}),
    ...(from ? { preprocess: from.preprocess.kind, from: { params: from.params, preprocess: from.preprocess } } : {}), // fine-tuning: the model's scaling
    kernel: s.kernel,
    noiseEvery: s.noiseEvery,
    ...(dist ? { distributed: { rank: dist.rank, size: dist.size, exchange: f.exchange === 'auto' ? (dist.size <= 2 ? 'gather' : 'slices') : f.exchange } } : {}),
    ...(s.fault ? { fault: s.fault } : {}),
    ...(s.sync ? { sync: s.sync } : {}),
  };
}

/** TrainConfig fields that several flags make up (for the resume messages, which name fields). */
const FLAGS_OF_FIELD: Record<string, string> = {
  spec: 'network (--layers/--hidden/--activation/--output/--loss/--skip/--connect)',
  data: 'data (--data, --limit, --test-split, the CSV flags)',
};

/** How the resume messages name TrainConfig field `field`: its flag from the settings schema (schedule → --lr-schedule). */
function flagOfSetting(field: string): string {
  return FLAGS_OF_FIELD[field] ?? flagOf(field) ?? field;
}

/** Creates the checkpoint folder (checked writable up front) so the run can write into it. */
function makeCheckpointFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw errors.badInput('--checkpoint', `cannot create the folder ${dir}: ${fsProblem(e)}`);
  }
}

/**
 * How long the ranks get to agree on a stop and write the checkpoint after SIGTERM before this rank
 * leaves on its own: 0.6 of the time OpenMPI waits before its SIGKILL (odls_base_sigkill_timeout,
 * 1 s unless given with --mca, which OpenMPI passes to the ranks as OMPI_MCA_…).
 */
function stopGraceMs(): number {
  const s = Number(process.env.OMPI_MCA_odls_base_sigkill_timeout ?? '1');
  return 600 * (Number.isFinite(s) && s > 0 ? s : 1);
}

/**
 * Across ranks, after a stop signal. On Ctrl-C or SIGTERM mpirun sends every rank SIGCONT, then a
 * second later SIGTERM, then a second later SIGKILL; it does the same to the others when a rank has
 * died. The ranks stop together after the step that carries the request, and rank 0 writes the
 * checkpoint — unless a rank is gone: then that step never completes, and this rank leaves with one
 * line before the SIGKILL. The checkpoint on disk is the last complete one (written atomically).
 */
function rankLostWatch(dist: Distributed, checkpointStep: () => number | undefined): void {
  setTimeout(() => {
    const at = checkpointStep();
    const kept = at === undefined ? 'no checkpoint was written' : `the checkpoint of step ${at} is kept; continue with --resume`;
    // straight to the descriptor: ranks other than 0 print nothing else
    writeSync(2, `shardgrad: rank ${dist.rank} of ${dist.size}: another rank stopped without finishing the step (it ended or lost its connection); ${kept}\n`);
    process.exit(ExitCode.rankLost);
  }, stopGraceMs()).unref();
}

/**
 * Validates all flags and output paths before loading anything big, trains with progress
 * reporting, forwards SIGINT/SIGTERM to the trainer, then saves the model (then the plot) atomically
 * and prints the summary. Interrupted: with --checkpoint the checkpoint is the result (resume it);
 * without, the model so far is written to --out. Exit 130/143 either way.
 */
async function train(f: TrainFlags): Promise<void> {
  const dist = await startDistributed(f.distributed);
  // Any failure or a stop leaves at once: after a stop request every rank stopped after the same step,
  // and mpirun, which is ending the job, no longer takes part in MPI_Finalize; after a failure the
  // launcher ends the other ranks (exit code ≠ 0).
  await trainIn(f, dist);
  await dist?.finalize();
}

async function trainIn(f: TrainFlags, dist: Distributed | undefined): Promise<void> {
  const settings = settingsFromFlags(f, dist);
  const from = fineTuneModelFromFlags(f);
  const source = dataSourceFromFlags(f.data, f, dataHintOf(from));
  const data = loadData(source, settings.seed, settings.limit, settings.testSplit);
  const config = configFor(f, settings, data, source, dist, from);
  const writer = !dist || dist.rank === 0;
  const trainer = new Trainer(config);
  const say = (line: string) => process.stderr.write(`shardgrad: ${line}\n`);
  const resumed = config.resumeFrom !== undefined ? resumeNotes(config.resumeFrom, config, flagOfSetting) : [];
  resumed.forEach(say);
  if (writer) oddClassNameWarnings(data.name, data.classes).forEach(say);
  if (from) say(fineTuneNote(from));
  if (config.checkpointDir !== undefined && writer) makeCheckpointFolder(config.checkpointDir);

  const nTrain = data.trainRows.length - Math.round(data.trainRows.length * config.valSplit);
  const stepsPerEpoch = Math.ceil(nTrain / config.batch);
  const classification = data.task === 'classification';
  const report = new TrainReport(reportMode(f.json), config.epochs, stepsPerEpoch, classification);
  let samples = 0;
  let firstStep = 0;
  // under MPI, once the launcher is ending the job it may no longer read this rank's output: write none
  let muted = false;
  trainer.on((e) => {
    if (muted) return;
    if (e.type === 'step') {
      firstStep ||= e.step;
      samples += samplesInStep(e.step, stepsPerEpoch, nTrain, config.batch);
      report.step(e, samples);
    } else if (e.type === 'epoch') report.epoch(e);
    else report.checkpoint(e);
  });
  const afterStop = config.checkpointDir !== undefined ? `writing a checkpoint to ${path.join(config.checkpointDir, DEFAULT_CHECKPOINT_NAME)}` : `writing the model so far to ${f.out}`;
  const removeSignals = onStopSignals(
    (signal) => {
      trainer.requestStop(signal);
      if (dist) {
        muted = true;
        rankLostWatch(dist, () => trainer.lastCheckpointStep());
      }
    },
    (signal) => report.announce(`shardgrad: ${signal}: finishing the current step, then ${afterStop} (send it again to quit at once)`),
  );
  let result: TrainResult;
  try {
    result = await trainer.run();
  } finally {
    removeSignals();
    report.stop();
  }
  if (!writer) {
    // another rank: the same θ as rank 0, which writes and prints; leave with the same code
    if (isStopSignal(result.stoppedBy)) throw new ShardgradError(`interrupted by ${result.stoppedBy}`, exitCodeOf(result.stoppedBy));
    return;
  }

  const interrupted = isStopSignal(result.stoppedBy);
  const modelWritten = !interrupted || result.lastCheckpoint === undefined;
  if (modelWritten) {
    try {
      saveModel(
        f.out,
        result,
        {
          data: data.name,
          ...settingsMeta(config),
          testSplit: settings.testSplit ?? null,
          ...(from ? { fineTunedFrom: from.path } : {}),
          ...(result.stoppedBy ? { stoppedBy: result.stoppedBy } : {}),
        },
        describeData(data),
      );
    } catch (e) {
      // the trained parameters are not lost while a checkpoint holds them
      if (!result.lastCheckpoint || !isShardgradError(e)) throw e;
      throw new ShardgradError(`${e.message}; the checkpoint ${result.lastCheckpoint} holds the trained parameters (eval, predict and export read it)`, e.exitCode);
    }
  }
  if (f.plot !== undefined && result.history.length > 0) {
    try {
      writeFileAtomic(f.plot, svgPlot(result.history, classification));
    } catch (e) {
      const kept = modelWritten ? `; the model was written to ${f.out}` : '';
      throw new ShardgradError(`--plot: ${(e as Error).message}${kept}`, isShardgradError(e) ? e.exitCode : ExitCode.writeFailed);
    }
  }
  if (interrupted) {
    const where = result.lastCheckpoint
      ? `checkpoint ${result.lastCheckpoint} (continue with --resume); ${f.out} not written`
      : `the model so far written to ${f.out} (no --checkpoint, so it cannot be resumed)`;
    throw new ShardgradError(`interrupted by ${result.stoppedBy} at step ${result.steps}: ${where}`, exitCodeOf(result.stoppedBy as StopSignal));
  }
  const resumedAt = firstStep > 0 ? firstStep - 1 : result.steps;
  const facts = {
    result,
    classification,
    batch: config.batch,
    dataName: data.name,
    samples,
    workers: result.workers,
    ...(dist ? { ranks: dist.size } : {}),
    modelPath: f.out,
    stepLosses: report.recordedLosses(),
    ...(config.resumeFrom !== undefined ? { resumedAtStep: resumedAt } : {}),
    ...(f.plot ? { plotPath: f.plot } : {}),
    ...(config.sync ? { sync: syncText(config.sync) } : {}),
  };
  const last = result.history[result.history.length - 1];
  if (f.json) {
    print(
      JSON.stringify({
        type: 'summary',
        epochs: result.history.length,
        steps: result.steps,
        loss: last?.trainLoss ?? null,
        accuracy: classification && last && Number.isFinite(last.valAccuracy) ? last.valAccuracy : null,
        valLoss: last && Number.isFinite(last.valLoss) ? last.valLoss : null,
        samplesPerSec: throughput(facts),
        elapsed: Math.round(result.wallMs) / 1000,
        workers: result.workers,
        ranks: dist?.size ?? 1,
        comm: result.comm,
        kernel: result.kernel,
        model: f.out,
        stoppedBy: result.stoppedBy ?? null,
        ...(config.sync ? { sync: syncText(config.sync) } : {}),
        ...(result.staleness ? { reproducible: false, meanStaleness: result.staleness.mean, updates: result.staleness.updates } : {}),
        ...(result.noise ? { noise: result.noise } : {}),
        ...(config.resumeFrom !== undefined ? { resumedAtStep: resumedAt } : {}),
      }) + '\n',
    );
  } else print(formatSummary(facts) + '\n');
}
