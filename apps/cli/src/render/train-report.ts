import type { CheckpointEvent, EpochEvent, StepEvent } from '@shardgrad/coordinator';
import { print as printToStdout, stdoutIsUsersTerminal } from '../io/stdout.js';
import { LossHistory } from './loss-history.js';
import { progressBar, type ProgressBar } from './progress-bar.js';

/** How training reports itself: a bar on a terminal, plain epoch lines in a pipe, JSON lines for scripts. */
export type ReportMode = 'bar' | 'lines' | 'json';

export function reportMode(json: boolean, terminal: boolean = stdoutIsUsersTerminal()): ReportMode {
  return json ? 'json' : terminal ? 'bar' : 'lines';
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** B_simple for a line of text: 3 significant digits (a negative value — a noisy |G|² below zero — as is). */
export function formatBSimple(b: number): string {
  return Math.abs(b) >= 100 ? String(Math.round(b)) : b.toPrecision(3);
}
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * Renders the coordinator's events. In JSON mode every event is one object on its own line with
 * the keys type, epoch, step, loss, accuracy (null for a step), samplesPerSec, elapsed (seconds),
 * and on the steps that measure it the gradient noise scale (noise: this step's |G|², tr(Σ) and
 * B_simple; noiseEma: their moving averages; an epoch's noise: the averages at its end).
 * Keeps the step losses for the terminal chart, downsampled to a bounded number of points.
 */
export class TrainReport {
  /** the losses of the steps this run computed (not a resumed run's earlier ones), in step order */
  private readonly losses = new LossHistory();
  readonly history: EpochEvent[] = [];
  private readonly bar: ProgressBar | null;

  constructor(
    readonly mode: ReportMode,
    private readonly epochs: number,
    private readonly stepsPerEpoch: number,
    /** regression runs have no accuracy to show */
    private readonly classification: boolean = true,
    private readonly print: (text: string) => void = printToStdout,
  ) {
    this.bar =
      mode === 'bar'
        ? progressBar(epochs * stepsPerEpoch, 'epoch {epoch}/{epochs} {bar} {percentage}% | loss {loss} | {speed} samples/s{noise} | ETA {eta_formatted}', {
            epoch: 1,
            epochs,
            loss: '-',
            speed: '-',
            noise: '',
          })
        : null;
  }

  /** `samplesSoFar`: samples this process has trained on, for a steady samples/s on the bar. */
  step(e: StepEvent, samplesSoFar: number): void {
    if (!Number.isNaN(e.loss)) this.losses.add(e.loss);
    if (this.mode === 'json') {
      this.line({
        type: 'step', epoch: e.epoch, step: e.step, loss: e.loss, accuracy: null, samplesPerSec: e.samplesPerSec, elapsed: seconds(e.elapsedMs),
        ...(e.noise ? { noise: e.noise, noiseEma: e.noiseEma } : {}),
      });
    } else if (this.bar) {
      const speed = e.elapsedMs > 0 ? Math.round(samplesSoFar / (e.elapsedMs / 1000)) : 0;
      const b = e.noiseEma?.bSimple;
      this.bar.update(e.step, { epoch: e.epoch, epochs: this.epochs, loss: e.loss.toFixed(4), speed, ...(b !== undefined && Number.isFinite(b) ? { noise: ` | B_simple ${formatBSimple(b)}` } : {}) });
    }
  }

  epoch(e: EpochEvent): void {
    this.history.push(e);
    if (this.mode === 'json') {
      this.line({
        type: 'epoch', epoch: e.epoch, step: e.step, loss: e.trainLoss, accuracy: this.classification ? e.valAccuracy : null, valLoss: e.valLoss,
        samplesPerSec: e.samplesPerSec, elapsed: seconds(e.elapsedMs), comm: e.comm,
        ...(e.noise ? { noise: e.noise } : {}),
      });
      return;
    }
    // no validation rows (an empty test split and --val-split 0): the coordinator reports NaN
    const validation = !Number.isFinite(e.valLoss)
      ? 'no validation rows  '
      : `val loss ${e.valLoss.toFixed(4)}  ${this.classification ? `val accuracy ${pct(e.valAccuracy)}  ` : ''}`;
    const noise = e.noise && Number.isFinite(e.noise.bSimple) ? `B_simple ${formatBSimple(e.noise.bSimple)}  ` : '';
    const text = `epoch ${e.epoch}/${this.epochs}  train loss ${e.trainLoss.toFixed(4)}  ${validation}${noise}${Math.round(e.samplesPerSec)} samples/s  ${(e.elapsedMs / 1000).toFixed(1)} s`;
    if (this.bar) this.bar.log(text);
    else this.print(text + '\n');
  }

  checkpoint(e: CheckpointEvent): void {
    if (this.mode === 'json') this.line({ type: 'checkpoint', step: e.step, path: e.path });
  }

  /** A line on stderr (a signal's notice): the bar's line is cleared first, so the two never share a line. */
  announce(line: string, err: NodeJS.WritableStream = process.stderr): void {
    if (this.bar) this.bar.interject(() => err.write(line + '\n'));
    else err.write(line + '\n');
  }

  stop(): void {
    this.bar?.stop();
  }

  /** The step losses this run computed (a NaN loss left out), downsampled to a bounded number of points. */
  recordedLosses(): number[] {
    return this.losses.points();
  }

  private line(o: Record<string, unknown>): void {
    this.print(JSON.stringify(o) + '\n');
  }
}
