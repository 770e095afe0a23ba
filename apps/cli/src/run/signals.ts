import { ExitCode } from '@shardgrad/core';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Forwards the first SIGINT/SIGTERM to `stop` (the trainer finishes its step, then the run keeps
 * what it has) after `announce(signal)` has said what will happen; a second one exits at once with
 * the signal's code. Returns a function that removes the handlers.
 */
export function onStopSignals(stop: (signal: StopSignal) => void, announce: (signal: StopSignal) => void): () => void {
  let asked = false;
  const handler = (signal: StopSignal) => {
    if (asked) process.exit(signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated);
    asked = true;
    announce(signal);
    stop(signal);
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}
