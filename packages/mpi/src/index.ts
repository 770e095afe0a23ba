/**
 * @shardgrad/mpi: MPI collectives for shardgrad through an optional N-API addon
 * (src/shardgrad_mpi.c, built at install with mpicc by scripts/build-addon.mjs).
 *
 * One native thread per process runs MPI_Init_thread(MPI_THREAD_FUNNELED) and every MPI call; the
 * JS threads (main and worker_threads alike) hand it their calls. The synchronous forms block the
 * calling thread until the call is done; the promise forms are settled from the MPI thread through
 * a thread-safe function. Buffers are used in place (typed arrays on ArrayBuffers,
 * SharedArrayBuffers or shared WebAssembly.Memory), never copied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/** Where this process sits in an MPI launch, from the launcher's environment variables. */
export interface MpiLaunch {
  rank: number;
  size: number;
  localRank: number;
  localSize: number;
}

/** The element types the collectives take (MPI_FLOAT, MPI_DOUBLE, MPI_INT, MPI_BYTE / MPI_UNSIGNED_CHAR). */
export type View = Float32Array | Float64Array | Int32Array | Uint8Array;

export type ReduceOp = 'sum' | 'max' | 'min';

export interface MpiInitResult {
  rank: number;
  size: number;
  /** MPI_Get_library_version, first line (e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ...") */
  library: string;
}

export interface Mpi {
  /** Starts the MPI thread (MPI_Init_thread) once per process; later calls, from any thread, give the same. */
  init(): Promise<MpiInitResult>;
  /** MPI_COMM_WORLD's rank and size, once init has completed anywhere in the process (throws before). */
  readonly rank: number;
  readonly size: number;

  // Synchronous forms: callable from any thread; block the caller until the MPI thread has done the call.
  /** In place (MPI_IN_PLACE): this rank's block is already at displs[rank]; counts/displs in elements. */
  allgathervSync(view: View, counts: ArrayLike<number>, displs: ArrayLike<number>): void;
  /** In place. */
  allreduceSync(view: View, op: ReduceOp): void;
  /** send and recv: the same element type; counts/displs in elements. */
  alltoallvSync(send: View, sendCounts: ArrayLike<number>, sendDispls: ArrayLike<number>, recv: View, recvCounts: ArrayLike<number>, recvDispls: ArrayLike<number>): void;
  bcastSync(view: View, root: number): void;
  barrierSync(): void;

  // Promise forms: the typed arrays stay referenced until the promise settles.
  allgatherv(view: View, counts: ArrayLike<number>, displs: ArrayLike<number>): Promise<void>;
  allreduce(view: View, op: ReduceOp): Promise<void>;
  alltoallv(send: View, sendCounts: ArrayLike<number>, sendDispls: ArrayLike<number>, recv: View, recvCounts: ArrayLike<number>, recvDispls: ArrayLike<number>): Promise<void>;
  bcast(view: View, root: number): Promise<void>;
  barrier(): Promise<void>;

  /** MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job; does not return. */
  abort(code: number): void;
  /** MPI_Finalize, then joins the MPI thread. Idempotent (and a no-op before init). */
  finalize(): Promise<void>;
  /** Seconds on the monotonic clock MPI_Wtime reads (read directly, without a hop to the MPI thread). */
  wtime(): number;

  // Additions to the interface of issue 11.
  /** finalize() for synchronous code (e.g. a process 'exit' handler): blocks until MPI_Finalize is done. */
  finalizeSync(): void;
  /** The process-wide state, synchronously. */
  status(): MpiStatus;
}

export interface MpiStatus {
  state: 'none' | 'starting' | 'ready' | 'failed' | 'finalizing' | 'finalized';
  rank: number;
  size: number;
  /** the thread level MPI_Init_thread provided (MPI_THREAD_FUNNELED or above) */
  provided: number;
  library: string;
  /** the MPI library re-opened RTLD_GLOBAL before MPI_Init */
  libmpi: string;
  /** why MPI_Init_thread failed, when state is 'failed' */
  error: string;
  /** no call queued or running on the MPI thread */
  idle: boolean;
}

export type LoadResult = { ok: true; mpi: Mpi } | { ok: false; reason: string };

/** What to do when the addon is not there. */
export const HOW_TO_GET_MPI = 'apt-get install openmpi-bin libopenmpi-dev (or MPICH), then reinstall or `pnpm rebuild @shardgrad/mpi`';

function int(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/**
 * Where this process sits in an MPI launch, from the launcher's environment: OpenMPI
 * (OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK/LOCAL_SIZE), MPICH's Hydra and Slurm's PMI (PMI_RANK,
 * PMI_SIZE, with MPI_LOCALRANKID/MPI_LOCALNRANKS or SLURM_LOCALID/SLURM_NTASKS_PER_NODE), PMIx
 * (PMIX_RANK, with the sizes OpenMPI or Slurm set beside it). Undefined when not launched by an MPI
 * launcher. Where the launcher gives no node-local numbers, one host is assumed (localRank = rank,
 * localSize = size); where it gives no size (bare PMIx), size is 0 and init() tells it.
 */
export function detectLaunch(env: NodeJS.ProcessEnv = process.env): MpiLaunch | undefined {
  const rank = int(env.OMPI_COMM_WORLD_RANK) ?? int(env.PMI_RANK) ?? int(env.PMIX_RANK);
  if (rank === undefined) return undefined;
  const size = int(env.OMPI_COMM_WORLD_SIZE) ?? int(env.PMI_SIZE) ?? int(env.PMIX_SIZE) ?? int(env.SLURM_STEP_NUM_TASKS) ?? int(env.SLURM_NTASKS) ?? 0;
  if (size > 0 && rank >= size) return undefined;
  let localRank = int(env.OMPI_COMM_WORLD_LOCAL_RANK) ?? int(env.MPI_LOCALRANKID) ?? int(env.PMIX_LOCAL_RANK) ?? int(env.SLURM_LOCALID);
  let localSize = int(env.OMPI_COMM_WORLD_LOCAL_SIZE) ?? int(env.MPI_LOCALNRANKS) ?? int(env.PMIX_LOCAL_SIZE) ?? slurmTasksHere(env);
  if (localRank === undefined || localSize === undefined || localRank >= localSize) {
    localRank = rank;
    localSize = size;
  }
  return { rank, size, localRank, localSize };
}

/** Slurm's tasks on this node: SLURM_NTASKS_PER_NODE, or this node's entry of SLURM_STEP_TASKS_PER_NODE ("2(x3),1"). */
function slurmTasksHere(env: NodeJS.ProcessEnv): number | undefined {
  const per = int(env.SLURM_NTASKS_PER_NODE);
  if (per !== undefined) return per;
  const list = env.SLURM_STEP_TASKS_PER_NODE ?? env.SLURM_TASKS_PER_NODE;
  const node = int(env.SLURM_NODEID);
  if (!list || node === undefined) return undefined;
  let at = 0;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:\(x(\d+)\))?$/.exec(part.trim());
    if (!m) return undefined;
    at += m[2] ? Number(m[2]) : 1;
    if (node < at) return Number(m[1]);
  }
  return undefined;
}

/** The addon's own functions (src/shardgrad_mpi.c). */
interface Addon {
  init(): Promise<MpiInitResult>;
  finalize(): Promise<void>;
  finalizeSync(): void;
  exitHook(code: number): boolean;
  abort(code: number): never;
  wtime(): number;
  state(): MpiStatus;
  waitReady(): void;
  allgathervSync(view: View, counts: Int32Array, displs: Int32Array): void;
  allreduceSync(view: View, op: number): void;
  alltoallvSync(send: View, sendCounts: Int32Array, sendDispls: Int32Array, recv: View, recvCounts: Int32Array, recvDispls: Int32Array): void;
  bcastSync(view: View, root: number): void;
  barrierSync(): void;
  allgatherv(view: View, counts: Int32Array, displs: Int32Array): Promise<void>;
  allreduce(view: View, op: number): Promise<void>;
  alltoallv(send: View, sendCounts: Int32Array, sendDispls: Int32Array, recv: View, recvCounts: Int32Array, recvDispls: Int32Array): Promise<void>;
  bcast(view: View, root: number): Promise<void>;
  barrier(): Promise<void>;
}

/** Where the addon is: $SHARDGRAD_MPI_ADDON, else build/shardgrad_mpi.node in this package. */
export function mpiAddonPath(): string {
  return process.env.SHARDGRAD_MPI_ADDON || fileURLToPath(new URL('../build/shardgrad_mpi.node', import.meta.url));
}

const OPS: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };

function ints(xs: ArrayLike<number>): Int32Array {
  return xs instanceof Int32Array ? xs : Int32Array.from(xs as ArrayLike<number>);
}

function op(o: ReduceOp): number {
  const code = OPS[o];
  if (code === undefined) throw new Error(`MPI allreduce: op must be 'sum', 'max' or 'min', not ${String(o)}`);
  return code;
}

class AddonMpi implements Mpi {
  constructor(private readonly x: Addon) {}

  init(): Promise<MpiInitResult> {
    return this.x.init();
  }

  private ready(what: string): MpiStatus {
    this.x.waitReady();
    const s = this.x.state();
    if (s.state === 'ready' || s.state === 'finalizing' || (s.state === 'finalized' && s.size > 0)) return s;
    if (s.state === 'failed') throw new Error(`MPI ${what}: ${s.error}`);
    throw new Error(`MPI ${what} ${s.state === 'none' ? 'before init' : 'after finalize'}`);
  }

  get rank(): number {
    return this.ready('rank').rank;
  }

  get size(): number {
    return this.ready('size').size;
  }

  allgathervSync(view: View, counts: ArrayLike<number>, displs: ArrayLike<number>): void {
    this.x.allgathervSync(view, ints(counts), ints(displs));
  }

  allreduceSync(view: View, o: ReduceOp): void {
    this.x.allreduceSync(view, op(o));
  }

  alltoallvSync(send: View, sendCounts: ArrayLike<number>, sendDispls: ArrayLike<number>, recv: View, recvCounts: ArrayLike<number>, recvDispls: ArrayLike<number>): void {
    this.x.alltoallvSync(send, ints(sendCounts), ints(sendDispls), recv, ints(recvCounts), ints(recvDispls));
  }

  bcastSync(view: View, root: number): void {
    this.x.bcastSync(view, root);
  }

  barrierSync(): void {
    this.x.barrierSync();
  }

  async allgatherv(view: View, counts: ArrayLike<number>, displs: ArrayLike<number>): Promise<void> {
    return this.x.allgatherv(view, ints(counts), ints(displs));
  }

  async allreduce(view: View, o: ReduceOp): Promise<void> {
    return this.x.allreduce(view, op(o));
  }

  async alltoallv(send: View, sendCounts: ArrayLike<number>, sendDispls: ArrayLike<number>, recv: View, recvCounts: ArrayLike<number>, recvDispls: ArrayLike<number>): Promise<void> {
    return this.x.alltoallv(send, ints(sendCounts), ints(sendDispls), recv, ints(recvCounts), ints(recvDispls));
  }

  async bcast(view: View, root: number): Promise<void> {
    return this.x.bcast(view, root);
  }

  async barrier(): Promise<void> {
    return this.x.barrier();
  }

  abort(code: number): void {
    this.x.abort(code);
  }

  finalize(): Promise<void> {
    return this.x.finalize();
  }

  finalizeSync(): void {
    this.x.finalizeSync();
  }

  wtime(): number {
    return this.x.wtime();
  }

  status(): MpiStatus {
    return this.x.state();
  }
}

let cached: LoadResult | undefined;

/** One line: why the addon is unavailable, from build/status.json when the install left one. */
function missingReason(file: string): string {
  let why = `${file} is missing`;
  try {
    const status = JSON.parse(readFileSync(file.replace(/[^/\\]*$/, 'status.json'), 'utf8')) as { ok: boolean; reason?: string };
    if (!status.ok && status.reason) why = status.reason;
  } catch {
    // no status file: the generic reason stands
  }
  return `MPI addon not built (${why}); to get it: ${HOW_TO_GET_MPI}`;
}

/**
 * The MPI addon for this thread (loaded once per thread; the MPI state behind it is process-wide),
 * or one line saying why it is unavailable and how to get it. In the main thread it also registers
 * a process 'exit' handler: a clean exit (code 0) with MPI initialized, not finalized and idle calls
 * MPI_Finalize; any other exit leaves MPI unfinalized, which the launcher reports as a failed rank.
 */
export function loadMpi(): LoadResult {
  if (cached) return cached;
  const file = mpiAddonPath();
  if (!existsSync(file)) return (cached = { ok: false, reason: missingReason(file) });
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (e) {
    return (cached = { ok: false, reason: `MPI addon does not load (${String((e as Error).message).split('\n')[0]}); to get it: ${HOW_TO_GET_MPI}` });
  }
  if (isMainThread) process.once('exit', (code) => addon.exitHook(code ?? 0));
  return (cached = { ok: true, mpi: new AddonMpi(addon) });
}
