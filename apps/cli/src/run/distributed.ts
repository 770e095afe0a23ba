import { availableParallelism, cpus } from 'node:os';
import { errors } from '@shardgrad/core';

/** How `train` takes part in a multi-process run: `auto` joins one when an MPI launcher started it. */
export type DistributedMode = 'auto' | 'mpi' | 'none';
export const DISTRIBUTED_MODES: readonly DistributedMode[] = ['auto', 'mpi', 'none'];

/** This process's place in an MPI job, with MPI initialized (one native thread makes every MPI call). */
export interface Distributed {
  readonly rank: number;
  readonly size: number;
  /** processes of the job on this machine (cores are shared among them) */
  readonly localSize: number;
  /** the cores this process may run on, when the launcher bound it to fewer than the machine has (mpirun does at -np ≤ 2) */
  readonly boundCores?: number;
  readonly library: string;
  finalize(): Promise<void>;
}

type MpiModule = typeof import('@shardgrad/mpi');

const HOW = 'install OpenMPI (Debian: apt-get install openmpi-bin libopenmpi-dev), then reinstall shardgrad so that @shardgrad/mpi builds';

async function mpiModule(): Promise<MpiModule | undefined> {
  try {
    return await import('@shardgrad/mpi');
  } catch {
    return undefined;
  }
}

/**
 * The rank the launcher gave this process (from its environment), before MPI is loaded, or undefined
 * when no MPI launcher started it: ranks other than 0 print nothing (rank 0 alone prints, writes the
 * model and the checkpoints), and no rank's stdout is the user's terminal.
 */
export async function launchedRank(): Promise<number | undefined> {
  const mod = await mpiModule();
  return mod?.detectLaunch()?.rank;
}

/**
 * Joins the MPI job this process was launched in (`auto`: only when a launcher such as mpirun or
 * srun started it; `mpi`: always, a single process being a job of one). Returns undefined when
 * training runs alone. Without the MPI addon: one line saying how to get it (exit 2).
 */
export async function startDistributed(mode: DistributedMode): Promise<Distributed | undefined> {
  if (mode === 'none') return undefined;
  const mod = await mpiModule();
  const launch = mod?.detectLaunch();
  if (mode === 'auto' && (!launch || launch.size <= 1)) return undefined;
  const why = mode === 'mpi' ? 'mpi needs MPI support' : `this process was launched as rank ${launch!.rank} of ${launch!.size} by an MPI launcher`;
  if (!mod) throw errors.badInput('--distributed', `${why}, but the optional package @shardgrad/mpi is not installed: ${HOW}`);
  const loaded = mod.loadMpi();
  if (!loaded.ok) throw errors.badInput('--distributed', `${why}, which is not built here: ${loaded.reason}`);
  const { mpi } = loaded;
  // OpenMPI spins while a collective waits; the ranks' worker threads need those cores (and over
  // TCP spinning made a barrier 8 ms instead of 0.05): yield unless the user chose otherwise
  process.env.OMPI_MCA_mpi_yield_when_idle ??= '1';
  const info = await mpi.init();
  unblockOutput();
  return {
    rank: info.rank,
    size: info.size,
    localSize: launch?.localSize ?? 1,
    ...(availableParallelism() < cpus().length ? { boundCores: availableParallelism() } : {}),
    library: info.library,
    finalize: () => mpi.finalize(),
  };
}

/**
 * Node writes to a pipe synchronously, and mpirun stops reading its ranks' pipes once it is ending
 * the job (Ctrl-C, a rank lost): a rank writing a line per step would then block in write() and never
 * reach the step that stops every rank together. Under MPI, output is queued instead.
 */
function unblockOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } })._handle?.setBlocking?.(false);
  }
}
