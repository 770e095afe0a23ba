// Helpers of the MPI tests: temporary folders removed after the file's tests, and mpirun.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtures = path.join(here, 'fixtures');
export const pkg = path.join(here, '..');
export const hasMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
/** Run the mpirun tests: wherever mpirun is installed, and always in CI (which installs OpenMPI). */
export const runMpi = Boolean(process.env.CI) || hasMpirun;

const temps: string[] = [];
export function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'sg-mpi-'));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Date.now() when mpirun was started and when it exited */
  started: number;
  ended: number;
}

/** Runs mpirun with `args` (after the common flags); `during` gets the child to signal it. */
export function mpirun(np: number, args: string[], opts: RunOptions & { mca?: string[] } = {}): Promise<Run> {
  return run('mpirun', ['--allow-run-as-root', '--oversubscribe', ...(opts.mca ?? []), '-np', String(np), ...args], opts);
}

export interface RunOptions {
  timeoutMs?: number;
  /** called once the child is running, with its pid */
  during?: (pid: number) => void;
}

/** Runs a command to its end (SIGKILL after timeoutMs, default 120 s). */
export function run(command: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('spawn', () => opts.during?.(child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, started, ended: Date.now() });
    });
  });
}

