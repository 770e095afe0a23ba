import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from './cli-helpers.js';

/**
 * The progress bar is drawn only where stdout is the user's terminal. Under mpirun a rank's stdout
 * may be a pseudo-terminal the launcher made even when the job's output goes to a file: a process
 * an MPI launcher started (its environment says so) prints plain epoch lines. Both runs here have
 * a pseudo-terminal for stdout (`script`); only the launcher's environment differs.
 */
const hasScript = spawnSync('script', ['--version']).status === 0;
const hasMpiPackage = (() => {
  try {
    return spawnSync(process.execPath, ['--input-type=module', '-e', "await import('@shardgrad/mpi')"], { cwd: path.dirname(CLI) }).status === 0;
  } catch {
    return false;
  }
})();

function onPty(env: string): string {
  const dir = tempDir('bar-ranks');
  const command = `${env} ${process.execPath} ${CLI} train --data xor:400 --hidden 2 --batch 8 --epochs 2 --workers 1 --out ${path.join(dir, 'm.sgm')}`;
  const r = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8' });
  expect(r.status, r.stdout).toBe(0);
  return r.stdout;
}

describe.runIf(hasScript && hasMpiPackage)('the progress bar and MPI ranks', () => {
  it('on the user\'s terminal: the bar (cursor codes and an ETA)', () => {
    const out = onPty('');
    expect(out).toContain('\x1b[');
    expect(out).toMatch(/ETA/);
  });

  it('started by an MPI launcher (OMPI_COMM_WORLD_RANK/SIZE set): plain epoch lines, no cursor codes', () => {
    const out = onPty('OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=1');
    expect(out).not.toContain('\x1b[');
    expect(out).not.toMatch(/ETA/);
    expect(out).toMatch(/^epoch 1\/2 {2}train loss \d\.\d{4}/m);
    expect(out).toMatch(/^epoch 2\/2 {2}train loss \d\.\d{4}/m);
  });
});
