/**
 * Stdout that may lose its reader: `shardgrad train --json | head -2` closes the pipe early. The first
 * write error (EPIPE) turns printing off quietly; the command goes on and finishes its work (train
 * still writes the model), with no stack trace.
 */
let closed = false;

process.stdout.on('error', () => {
  closed = true;
});

/** Writes `text` to stdout unless its reader has gone. */
export function print(text: string): void {
  if (!closed) process.stdout.write(text);
}

/** Whether stdout's reader has gone (a closed pipe). */
export function stdoutClosed(): boolean {
  return closed;
}
