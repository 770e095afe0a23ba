import { fsProblem } from '@shardgrad/coordinator';
import { ExitCode } from '@shardgrad/core';

/**
 * Stdout that may lose its reader or its device. `shardgrad train --json | head -2` closes the pipe
 * early: that one error (EPIPE) turns printing off quietly, the command finishes its work (train
 * still writes the model) and its exit code is that of the work. Any other error (no space left on
 * the device stdout was redirected to, an I/O error) is a failure: one line on stderr, printing
 * stops, the command still finishes its work, and it exits 1 however the work ended.
 */
let closed = false;

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (closed) return;
  closed = true;
  if (e.code === 'EPIPE') return;
  process.stderr.write(`shardgrad: stdout: cannot write: ${fsProblem(e)}; the output is incomplete\n`);
  process.exitCode = ExitCode.writeFailed;
});

// after SIGHUP the terminal is gone and writing to it fails: there is no one left to tell
process.stderr.on('error', () => {});

/** Writes `text` to stdout unless its reader or its device has gone. */
export function print(text: string): void {
  if (!closed) process.stdout.write(text);
}

/** Whether printing has stopped (a closed pipe or a failed device). */
export function stdoutClosed(): boolean {
  return closed;
}

let usersTerminal = Boolean(process.stdout.isTTY);

/** Called when an MPI launcher started this process: its stdout is never treated as the user's terminal. */
export function stdoutIsNotTheUsersTerminal(): void {
  usersTerminal = false;
}

/** Whether stdout is the user's terminal (progress bars and cursor codes go there, plain lines elsewhere). */
export function stdoutIsUsersTerminal(): boolean {
  return usersTerminal;
}
