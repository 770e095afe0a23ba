import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The built CLI, run as a user would: `node apps/cli/dist/main.js …` (run `pnpm build` first). */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/cli/dist/main.js');

export function runCli(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
  const env = options.env ? { ...process.env, ...options.env } : undefined;
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: options.cwd, input: options.input, env, timeout: 120_000 });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `sg-cli-${prefix}-`));
}

/** runCli without blocking, so independent cases can run side by side. */
export function runCliAsync(args: string[], options: { input?: string } = {}): Promise<SpawnSyncReturns<string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ pid: child.pid ?? 0, output: [null, stdout, stderr], stdout, stderr, status, signal }));
    child.stdin.end(options.input ?? '');
  });
}

/** Parses stdout as JSON lines: every non-empty line must be one JSON object. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A user error: exit code 2, exactly one line on stderr starting "shardgrad: " and containing `text`, no stack trace. */
export function expectOneLineError(r: SpawnSyncReturns<string>, text: string | RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0].startsWith('shardgrad: ')).toBe(true);
  if (typeof text === 'string') expect(lines[0]).toContain(text);
  else expect(lines[0]).toMatch(text);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+|internal error/);
}

/**
 * Starts the CLI and sends `signal` once `ready(stdoutSoFar)` holds; resolves with the exit code
 * and the output.
 */
export function runCliAndSignal(
  args: string[],
  signal: NodeJS.Signals,
  ready: (stdout: string) => boolean,
  cwd?: string,
): Promise<{ status: number | null; stdout: string; stderr: string; signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!signalled && ready(stdout)) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, signalled }));
  });
}

/** Runs `command` in bash (as root would: mknod, mount). */
export const sh = (command: string) => spawnSync('bash', ['-c', command], { encoding: 'utf8' });

/**
 * Whether this machine lets the tests mount a tmpfs (root, outside a restricted container), tried
 * once in a folder of `dir`; the returned `mounted` list is for the test file's afterAll to unmount.
 */
export function tmpfsMounts(dir: string): { canMount: boolean; mounted: string[]; unmountAll: () => void } {
  const probe = path.join(dir, 'mount-probe');
  mkdirSync(probe);
  const canMount = sh(`mount -t tmpfs -o size=4k tmpfs ${probe}`).status === 0;
  if (canMount) sh(`umount ${probe}`);
  const mounted: string[] = [];
  return { canMount, mounted, unmountAll: () => mounted.forEach((m) => sh(`umount ${m}`)) };
}
