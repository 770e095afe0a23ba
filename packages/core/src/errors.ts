/** Exit codes shared by every shardgrad front end (documented in the README). */
export const ExitCode = {
  ok: 0,
  trainingFailed: 1,
  /** a file or stdout could not be written (no space left, an I/O error): the previous file is kept */
  writeFailed: 1,
  badInput: 2,
  /** across processes (MPI): another rank ended without finishing a step */
  rankLost: 3,
  /** SIGHUP: the terminal closed or the ssh connection dropped (saved like SIGTERM) */
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error a user can cause: a one-line message that names the file or flag and the problem,
 * plus the exit code a front end should use. Stack traces are for bugs only.
 */
export class ShardgradError extends Error {
  override readonly name = 'ShardgradError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.badInput,
    /** the setting the error is about (a field of the settings schema), for a front end to name its own way (the CLI: its flag) */
    readonly setting?: { readonly field: string; readonly problem: string },
  ) {
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

/** Error factory: every user-facing failure is built here so messages keep one shape. */
export const errors = {
  /** `where` is a file path, a flag (`--lr`) or a field (`weights[1][0]`). */
  badInput: (where: string, problem: string) => new ShardgradError(`${where}: ${problem}`, ExitCode.badInput),
  /** A bad value of a training setting, named by its field (`lr: must be a positive number, got -1`); the CLI prints its flag instead. */
  badSetting: (field: string, problem: string) => new ShardgradError(`${field}: ${problem}`, ExitCode.badInput, { field, problem }),
  /** the device failed a write (`where` is the file, or "stdout"): exit 1, not a usage error */
  writeFailed: (where: string, problem: string) => new ShardgradError(`${where}: ${problem}`, ExitCode.writeFailed),
  diverged: (step: number, what: string) =>
    new ShardgradError(`training diverged at step ${step}: ${what}`, ExitCode.trainingFailed),
};

export function isShardgradError(e: unknown): e is ShardgradError {
  return e instanceof ShardgradError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'ShardgradError');
}
