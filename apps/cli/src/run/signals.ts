import { ExitCode, type ExitCodeValue } from '@shardgrad/core';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The signals that stop a run cleanly: Ctrl-C, a kill or a job scheduler, a closed terminal or a dropped ssh connection. */
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The exit code after a stop by `signal`: 128 + its number, as a shell reports a process killed by it. */
export function exitCodeOf(signal: StopSignal): ExitCodeValue {
  return signal === 'SIGINT' ? ExitCode.interrupted : signal === 'SIGHUP' ? ExitCode.hangup : ExitCode.terminated;
}

/** Whether a run's stoppedBy is one of the stop signals (not early stopping). */
export function isStopSignal(stoppedBy: string | undefined): stoppedBy is StopSignal {
  return (STOP_SIGNALS as readonly string[]).includes(stoppedBy ?? '');
}

/**
 * Forwards the first SIGINT/SIGTERM/SIGHUP to `stop` (the trainer finishes its step, then the run
 * keeps what it has) after `announce(signal)` has said what will happen; a second one exits at once
 * with the signal's code. Returns a function that removes the handlers.
 */
export function onStopSignals(stop: (signal: StopSignal) => void, announce: (signal: StopSignal) => void): () => void {
  let asked = false;
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => {
      if (asked) process.exit(exitCodeOf(signal));
      asked = true;
      announce(signal);
      stop(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
