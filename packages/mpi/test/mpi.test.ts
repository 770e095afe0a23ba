// @shardgrad/mpi under a real launcher: every collective at -np 2 and -np 3 against results
// computed here from the same inputs (test/fixtures/inputs.mjs), the synchronous forms from worker
// threads, how a job ends (clean exit without finalize, a rank that fails, MPI_Abort, signals to
// mpirun), loadMpi's one line when the addon is missing, the install script without MPI, and
// detectLaunch on environment fixtures. The mpirun tests run wherever mpirun is installed and always
// in CI (where .ci/run installs OpenMPI): there a missing mpirun fails them instead of skipping.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLaunch, HOW_TO_GET_MPI } from '../src/index.js';
import { checkCollectives, oneLine } from './collectives-check.js';
import { fixtures, hasMpirun, mpirun, pkg, runMpi, temp } from './helpers.js';


describe.runIf(runMpi)('MPI collectives under mpirun', () => {
  it('mpirun and the addon are there (CI installs OpenMPI: nothing below may be skipped)', () => {
    expect(hasMpirun).toBe(true);
    expect(existsSync(path.join(pkg, 'build', 'shardgrad_mpi.node'))).toBe(true);
  });

  for (const np of [2, 3]) {
    it(`-np ${np}: allgatherv, allreduce, alltoallv, bcast, barrier (sync and promise forms, from worker threads, on shared memory)`, async () => {
      const dir = temp();
      const run = await mpirun(np, ['node', path.join(fixtures, 'collectives.mjs'), dir]);
      expect(run.code, run.stderr).toBe(0);
      checkCollectives(dir, np);
    });
  }

  /** The events a rank of lifecycle.mjs logged: [ms, event]. */
  function events(dir: string, rank: number): [number, string][] {
    const file = path.join(dir, `rank-${rank}.log`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [t, ...rest] = l.split(' ');
        return [Number(t), rest.join(' ')] as [number, string];
      });
  }
  const when = (ev: [number, string][], name: string) => ev.find(([, e]) => e === name)?.[0];

  it('a process that ends without finalize (exit code 0) is finalized at exit: the job succeeds', async () => {
    const dir = temp();
    const run = await mpirun(3, ['node', path.join(fixtures, 'lifecycle.mjs'), 'no-finalize', dir], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/finalize/i);
    for (let r = 0; r < 3; r++) expect(events(dir, r).map(([, e]) => e.split(' ')[0])).toEqual(['ready', 'end']);
  });

  it('a rank that exits with code 3 while the others block in allreduceSync: mpirun ends the job and exits 3', async () => {
    const dir = temp();
    const run = await mpirun(3, ['node', path.join(fixtures, 'lifecycle.mjs'), 'exit-code', dir], { timeoutMs: 60_000 });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/exited with non-zero status|returned\s+a non-zero exit code/);
    const left = when(events(dir, 1), 'leaving')!;
    expect(left).toBeGreaterThan(0);
    for (const r of [0, 2]) expect(events(dir, r).map(([, e]) => e)).not.toContain('unblocked');
    // (the blocked ranks die of the SIGTERM sent after the failure; mpirun's own 60 s kill would give no code)
    expect(run.signal).toBeNull();
  });

  it('mpi.abort(5) on one rank while the others block: mpirun ends the job and exits 5', async () => {
    const dir = temp();
    const run = await mpirun(3, ['node', path.join(fixtures, 'lifecycle.mjs'), 'abort', dir], { timeoutMs: 60_000 });
    expect(run.code).toBe(5); // (OpenMPI's "MPI_ABORT was invoked" message is sometimes lost: not checked)
    expect(when(events(dir, 1), 'leaving')).toBeGreaterThan(0);
  });

  // What the surviving ranks see when one fails (OpenMPI 4.1; the delays between them, measured, are
  // in the README — not asserted here): SIGCONT, then SIGTERM, then SIGKILL.
  it('a failed rank: the others get SIGCONT, then SIGTERM, then (handling it and staying) SIGKILL', async () => {
    const dir = temp();
    const run = await mpirun(2, ['node', path.join(fixtures, 'lifecycle.mjs'), 'signals', dir], { timeoutMs: 60_000 });
    expect(run.code).toBe(3);
    expect(when(events(dir, 1), 'leaving')).toBeGreaterThan(0);
    // the handler kept it alive past SIGTERM: only SIGKILL ended it, and nothing else was logged
    expect(events(dir, 0).map(([, e]) => e).slice(1)).toEqual(['SIGCONT', 'SIGTERM']);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} to mpirun: the ranks get SIGCONT, then SIGTERM (not ${sig === 'SIGINT' ? 'SIGINT' : 'at once'}), then SIGKILL; mpirun exits non-zero`, async () => {
      const dir = temp();
      let sent = false;
      const run = await mpirun(2, ['node', path.join(fixtures, 'lifecycle.mjs'), 'idle-signals', dir], {
        timeoutMs: 60_000,
        during: (pid) => {
          const poll = setInterval(() => {
            if (events(dir, 0).length && events(dir, 1).length) {
              clearInterval(poll);
              sent = true;
              process.kill(pid, sig);
            }
          }, 50);
        },
      });
      expect(sent).toBe(true);
      expect(run.code).not.toBe(0);
      expect(run.signal).toBeNull();
      for (const r of [0, 1]) expect(events(dir, r).map(([, e]) => e).slice(1), `rank ${r}`).toEqual(['SIGCONT', 'SIGTERM']);
    });
  }
});

describe('loading without the addon', () => {
  const script = `import('${path.join(pkg, 'dist', 'index.js')}').then((m) => { const r = m.loadMpi(); console.log(JSON.stringify(r.ok ? { ok: true } : r)); })`;
  function load(env: Record<string, string>) {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim()) as { ok: boolean; reason?: string };
  }

  it('a missing addon file: loadMpi gives one line that says how to get it', () => {
    const r = load({ SHARDGRAD_MPI_ADDON: path.join(temp(), 'shardgrad_mpi.node') });
    expect(r.ok).toBe(false);
    oneLine(r.reason!);
    expect(r.reason).toMatch(/^MPI addon not built \(.*shardgrad_mpi\.node is missing\); to get it: /);
    expect(r.reason).toContain('apt-get install openmpi-bin libopenmpi-dev');
    expect(r.reason).toContain('pnpm rebuild @shardgrad/mpi');
    expect(r.reason).toContain(HOW_TO_GET_MPI);
  });

  it("the install's reason (build/status.json) is the one loadMpi gives", () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ ok: false, reason: 'no MPI compiler (mpicc not found)' }));
    const r = load({ SHARDGRAD_MPI_ADDON: path.join(dir, 'shardgrad_mpi.node') });
    expect(r.reason).toBe(`MPI addon not built (no MPI compiler (mpicc not found)); to get it: ${HOW_TO_GET_MPI}`);
  });

  it('a file that is not an addon: one line', () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'shardgrad_mpi.node'), 'not an ELF file');
    const r = load({ SHARDGRAD_MPI_ADDON: path.join(dir, 'shardgrad_mpi.node') });
    oneLine(r.reason!);
    expect(r.reason).toMatch(/^MPI addon does not load \(.*\); to get it: /);
  });

  it('the install script without mpicc succeeds with one line and records why', () => {
    const dir = temp();
    const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'build-addon.mjs'), '--out', dir], { encoding: 'utf8', env: { ...process.env, MPICC: path.join(dir, 'no-such-mpicc') } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^shardgrad: MPI addon not built \(no MPI compiler \(.*no-such-mpicc not found\)\); to get it: apt-get install openmpi-bin libopenmpi-dev/);
    expect(JSON.parse(readFileSync(path.join(dir, 'status.json'), 'utf8'))).toMatchObject({ ok: false, reason: expect.stringContaining('not found') });
    expect(existsSync(path.join(dir, 'shardgrad_mpi.node'))).toBe(false);
  });
});

describe('detectLaunch', () => {
  it('not launched by MPI: undefined', () => {
    expect(detectLaunch({})).toBeUndefined();
    expect(detectLaunch({ PATH: '/usr/bin', SLURM_NTASKS: '4' })).toBeUndefined();
    expect(detectLaunch({ OMPI_COMM_WORLD_RANK: 'x', OMPI_COMM_WORLD_SIZE: '2' })).toBeUndefined();
    expect(detectLaunch({ OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '2' })).toBeUndefined(); // rank outside size
  });
  it('OpenMPI', () => {
    expect(detectLaunch({ OMPI_COMM_WORLD_RANK: '3', OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_LOCAL_RANK: '1', OMPI_COMM_WORLD_LOCAL_SIZE: '2' })).toEqual({ rank: 3, size: 4, localRank: 1, localSize: 2 });
  });
  it("MPICH's Hydra (PMI_RANK/PMI_SIZE, MPI_LOCALRANKID/MPI_LOCALNRANKS)", () => {
    expect(detectLaunch({ PMI_RANK: '5', PMI_SIZE: '8', MPI_LOCALRANKID: '1', MPI_LOCALNRANKS: '4' })).toEqual({ rank: 5, size: 8, localRank: 1, localSize: 4 });
  });
  it("Slurm's PMI (PMI_RANK/PMI_SIZE, SLURM_LOCALID and the tasks on this node)", () => {
    expect(detectLaunch({ PMI_RANK: '4', PMI_SIZE: '5', SLURM_LOCALID: '0', SLURM_NODEID: '2', SLURM_STEP_TASKS_PER_NODE: '2(x2),1' })).toEqual({ rank: 4, size: 5, localRank: 0, localSize: 1 });
    expect(detectLaunch({ PMI_RANK: '1', PMI_SIZE: '4', SLURM_LOCALID: '1', SLURM_NTASKS_PER_NODE: '2' })).toEqual({ rank: 1, size: 4, localRank: 1, localSize: 2 });
  });
  it('PMIx (PMIX_RANK with the sizes beside it; bare PMIx: size 0)', () => {
    expect(detectLaunch({ PMIX_RANK: '2', SLURM_STEP_NUM_TASKS: '6', PMIX_LOCAL_RANK: '0', PMIX_LOCAL_SIZE: '3' })).toEqual({ rank: 2, size: 6, localRank: 0, localSize: 3 });
    expect(detectLaunch({ PMIX_RANK: '1' })).toEqual({ rank: 1, size: 0, localRank: 1, localSize: 0 });
  });
  it('no node-local numbers: one host assumed', () => {
    expect(detectLaunch({ PMI_RANK: '1', PMI_SIZE: '3' })).toEqual({ rank: 1, size: 3, localRank: 1, localSize: 3 });
  });
  it('reads process.env by default', () => {
    expect(detectLaunch()).toEqual(detectLaunch(process.env));
  });
});
