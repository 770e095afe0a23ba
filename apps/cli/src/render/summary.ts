import { skipsSuffix } from '@shardgrad/core';
import type { TrainConfig, TrainResult } from '@shardgrad/coordinator';
import { lossChart } from './loss-chart.js';
import { formatBSimple } from './train-report.js';

export interface SummaryFacts {
  readonly result: TrainResult;
  readonly dataName: string;
  /** samples this process trained on (a resumed run counts only its own steps) */
  readonly samples: number;
  readonly workers: number;
  /** MPI ranks the run was spread over (absent: one process) */
  readonly ranks?: number;
  /** where the model was written, if it was */
  readonly modelPath?: string;
  readonly plotPath?: string;
  readonly stepLosses: readonly number[];
  readonly classification: boolean;
  /** the run's batch size (beside B_simple) */
  readonly batch: number;
  /** the step a resumed run started after: its time and samples/s cover only the steps after it */
  readonly resumedAtStep?: number;
  /** --sync other than step, as given (local:4, hogwild) */
  readonly sync?: string;
}

/** A LocalSync as --sync (and --replicas, --outer) would write it. */
export function syncText(s: NonNullable<TrainConfig['sync']>): string {
  if (s.kind === 'hogwild') return 'hogwild';
  return `local:${s.every}, ${s.replicas} replicas${s.outer ? `, outer ${s.outer.kind}:${s.outer.lr}:${s.outer.momentum} (DiLoCo)` : ''}`;
}

/** Samples per second this process trained, over its wall time. */
export function throughput(f: SummaryFacts): number {
  return f.result.wallMs > 0 ? f.samples / (f.result.wallMs / 1000) : 0;
}

const megabytes = (bytes: number) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** The end-of-training summary: final validation accuracy, wall time, samples/s, where things went, the loss chart. */
export function formatSummary(f: SummaryFacts): string {
  const r = f.result;
  const last = r.history[r.history.length - 1];
  const lines: string[] = [];
  const why = r.stoppedBy === 'early-stop' ? ' (stopped early: validation loss stopped improving)' : '';
  const time = `${(r.wallMs / 1000).toFixed(1)} s`;
  const steps =
    f.resumedAtStep === undefined ? `${r.steps} steps in ${time}` : `${r.steps} steps; resumed after step ${f.resumedAtStep}, ${r.steps - f.resumedAtStep} steps in ${time} this run`;
  lines.push(
    `trained ${r.spec.sizes.join('-')}${skipsSuffix(r.spec)} on ${f.dataName}: ${r.history.length} epochs, ${steps}, ` +
      `${Math.round(throughput(f))} samples/s with ${f.ranks ? `${f.ranks} ranks × ` : ''}${f.workers} worker${f.workers === 1 ? '' : 's'}, ${r.kernel} kernels${why}`,
  );
  if (r.staleness)
    lines.push(`--sync hogwild: not reproducible (the workers race on θ); ${r.staleness.updates} updates, mean staleness ${r.staleness.mean.toFixed(2)} (updates by other workers between a read of θ and its write)`);
  else if (f.sync) lines.push(`--sync ${f.sync}: the replicas' average is the model`);
  if (last && f.classification && Number.isFinite(last.valAccuracy))
    lines.push(`final validation accuracy ${(100 * last.valAccuracy).toFixed(2)}% (validation loss ${last.valLoss.toFixed(4)})`);
  else if (last && Number.isFinite(last.valLoss)) lines.push(`final validation loss ${last.valLoss.toFixed(4)}`);
  if (f.ranks) lines.push(`between ranks, this rank: ${megabytes(r.comm.sentBytes)} sent, ${megabytes(r.comm.receivedBytes)} received in ${r.comm.exchanges} exchanges`);
  if (r.noise && Number.isFinite(r.noise.bSimple))
    lines.push(
      `gradient noise scale B_simple ${formatBSimple(r.noise.bSimple)} at the end (|G|² ${r.noise.gradSq.toPrecision(3)}, tr(Σ) ${r.noise.traceSigma.toPrecision(3)}; batch ${f.batch}): ` +
        (r.noise.bSimple > f.batch ? 'a larger batch would still cut the steps needed' : 'larger batches would mostly cost examples, not save steps'),
    );
  if (f.modelPath) lines.push(`model written to ${f.modelPath}`);
  if (f.plotPath) lines.push(`loss and accuracy curves written to ${f.plotPath}`);
  if (f.stepLosses.length > 1) lines.push('', 'training loss per step', ...lossChart(f.stepLosses, 60, 6));
  return lines.join('\n');
}
