import cliProgress from 'cli-progress';
import { stdoutIsUsersTerminal } from '../io/stdout.js';

/** A progress bar on stdout that also prints whole lines above itself. */
export interface ProgressBar {
  update(value: number, payload: Record<string, string | number>): void;
  /** a finished line above the bar (an epoch summary, a benchmark row) */
  log(line: string): void;
  /** clears the bar's line so `write` can print on another stream (stderr); the bar redraws below */
  interject(write: () => void): void;
  stop(): void;
}

/**
 * A cli-progress bar on stdout when stdout is the user's terminal, or null when it is not (a pipe, a
 * file, a test, an MPI rank's stdout): scripts get plain lines or JSON instead, never cursor codes. `format` uses cli-progress
 * tokens ({bar}, {percentage}, {eta_formatted}) plus the payload's keys.
 */
export function progressBar(
  total: number,
  format: string,
  initial: Record<string, string | number> = {},
  stream: NodeJS.WriteStream = process.stdout,
): ProgressBar | null {
  if (!stream.isTTY || (stream === process.stdout && !stdoutIsUsersTerminal())) return null;
  const multi = new cliProgress.MultiBar(
    // linewrap: the terminal keeps wrapping, so lines logged above the bar are never cut at its
    // width (cli-progress still cuts the bar line itself to the width)
    { stream, format, hideCursor: true, clearOnComplete: true, etaBuffer: 30, fps: 10, barsize: 24, autopadding: true, gracefulExit: false, linewrap: true },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0, initial);
  return {
    update: (value, payload) => bar.update(value, payload),
    log: (line) => multi.log(line.endsWith('\n') ? line : `${line}\n`),
    interject: (write) => {
      multi.update(); // lines logged so far go first
      stream.write('\r\x1b[2K');
      write();
    },
    stop: () => {
      multi.update(); // flush lines logged since the last redraw, or stop() would drop them
      multi.stop();
    },
  };
}
