// Training across MPI ranks through the built CLI (issue 11): `mpirun -np N shardgrad train` gives
// the model bytes of one process for any ranks × workers (the tree, not the process count, fixes
// every addition); rank 0 alone prints and writes; resume works with another number of ranks;
// Ctrl-C to mpirun stops every rank with the checkpoint written; a rank that dies ends the job
// with the checkpoint intact, and a restart from it continues. The oracle is the single-process
// run, which other tests hold to trainLocal and to hand-worked values.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelFile } from '@shardgrad/coordinator';
import { describe, expect, it } from 'vitest';
import { CLI, expectOneLineError, jsonLines, runCli, tempDir } from './cli-helpers.js';

const hasMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;
/** CI installs OpenMPI (.ci/run): there these tests always run. */
const runMpi = Boolean(process.env.CI) || hasMpirun;
const NETNS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/mpi/scripts/netns-hosts.sh');
const AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/mpi/scripts/netns-agent.sh');
const isRoot = process.getuid?.() === 0;
const hasNetns = isRoot && spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).status === 0;

/**
 * OpenMPI sends a rank SIGKILL this many seconds after SIGTERM when it ends a job (default 1): a
 * little more room, so that the checkpoint and the one-line messages do not race the SIGKILL on a
 * loaded 2-core machine. The ranks read it (OMPI_MCA_odls_base_sigkill_timeout) for their own
 * deadline; docs/distributed.md recommends it for large models too.
 */
const KILL_AFTER = ['--mca', 'odls_base_sigkill_timeout', '5'];

/**
 * OpenMPI 4.1.4's daemon (orted) crashed in 4 of 20 launches into a network namespace, in
 * hwloc_shmem_topology_write (its rtc hwloc component maps the topology into a "hole" of the
 * address space); without that component, 0 of 40. docs/distributed.md.
 */
const NO_TOPO_SHARE = ['--mca', 'rtc', '^hwloc'];

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `mpirun -np N node cli.js train …` to its end; `during(child, stdoutSoFar)` sees the output as it comes. */
function mpirun(np: number, args: string[], opts: { mca?: string[]; during?: (pid: number, stdout: string) => void; prefix?: string[] } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const argv = [...(opts.prefix ?? []), 'mpirun', '--allow-run-as-root', '--oversubscribe', ...(opts.mca ?? []), '-np', String(np), process.execPath, CLI, 'train', ...args];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      opts.during?.(child.pid!, stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Without --json: a run of many epochs prints a line per epoch, not per step (spawnSync keeps at most 1 MB of output). */
const quiet = (args: string[]) => args.filter((a) => a !== '--json');

/** One process, no MPI: the oracle. */
function single(args: string[]): Buffer {
  const out = args[args.indexOf('--out') + 1];
  const r = runCli(['train', ...quiet(args), '--distributed', 'none']);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out);
}

/** The pids of the rank processes of a job whose command line contains `marker` (from /proc). */
function rankPids(marker: string): Map<number, number> {
  const ranks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes(marker) || !cmd.includes(CLI)) continue;
      const env = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      const rank = env.find((e) => e.startsWith('OMPI_COMM_WORLD_RANK='));
      if (rank) ranks.set(Number(rank.split('=')[1]), Number(d));
    } catch {
      // a process that ended meanwhile
    }
  }
  return ranks;
}

const SPIRAL_NETWORK = ['--data', 'spiral', '--hidden', '24,12', '--batch', '32', '--lr', '0.05', '--optimizer', 'adam', '--json'];
// 16 shards of 2 rows: up to 16 ranks × workers (the default for batch 32 would be 2 shards)
const SPIRAL = [...SPIRAL_NETWORK, '--shards', '16'];

/**
 * What rank 0 of 2 sends and receives per step of SPIRAL (2-24-12-2: P = 2·24+24 + 24·12+12 +
 * 12·2+2 = 398 floats; 16 shards, 8 per rank: one tree node each), worked out from
 * docs/distributed.md's exchanges and the run memory's 64-byte alignment. A rank's head is its
 * 8 shard losses (float64) and an 8-byte stop word: 72 bytes.
 * - gather: one block per rank, [node (4P, aligned) | head], aligned: each rank sends its own and
 *   receives the other's, the same size.
 * - slices, with the live noise estimate off (as the test below runs it): θ is cut at cache lines
 *   (16 floats): 398 floats are 25 lines, rank 0 takes 13 (208 floats), rank 1 12 (190). Rank 0
 *   sends rank 1 its head and its node cut to rank 1's slice (72 + 4·190 = 832 bytes, aligned),
 *   its θ slice (4·208, the next step's gather) and its 4-byte status; it receives rank 1's head
 *   with rank 1's node cut to its own slice (72 + 4·208, aligned: 960), rank 1's θ slice (4·190)
 *   and rank 1's status. (With the estimate on, θ is cut at 1024-float blocks instead: rank 0 would
 *   take all 398 parameters and send its one noise block too.)
 */
function commPerStep(exchange: string): { sent: number; received: number } {
  const align = (n: number) => Math.ceil(n / 64) * 64;
  const P = 398;
  const head = 8 * 8 + 8;
  if (exchange === 'gather') {
    const block = align(align(4 * P) + head);
    return { sent: block, received: block };
  }
  const [q0, q1] = [13 * 16, P - 13 * 16];
  return { sent: align(head + 4 * q1) + 4 * q0 + 4, received: align(head + 4 * q0) + 4 * q1 + 4 };
}

describe.runIf(runMpi)('mpirun -np N shardgrad train: the bytes of one process', () => {
  const dir = tempDir('mpi-bits');
  const out = (name: string) => path.join(dir, `${name}.sgm`);

  it.each(['gather', 'slices'])('--exchange %s: 1 process × 4 workers = 2 ranks × 2 workers = 4 ranks × 1 = 3 ranks × 1 = 3 ranks × 2 (3 does not divide the 16 shards)', async (exchange) => {
    // (the noise estimate off: slices cut at cache lines, so with P = 398 every rank has a slice; with it on they are
    // cut at 1024-parameter blocks — the next test, on a net of 9 blocks)
    const args = [...SPIRAL, '--epochs', '3', '--noise-every', '0'];
    const want = single([...args, '--workers', '4', '--out', out('one')]);
    for (const [np, workers] of [
      [2, 2],
      [4, 1],
      [3, 1],
      [3, 2],
    ]) {
      const name = `${exchange}-np${np}w${workers}`;
      const r = await mpirun(np, [...args, '--workers', String(workers), '--exchange', exchange, '--out', out(name)]);
      expect(r.status, r.stderr).toBe(0);
      // rank 0 alone prints: one summary, naming the ranks
      const summaries = jsonLines(r.stdout).filter((o) => o.type === 'summary');
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ ranks: np, workers });
      expect(readFileSync(out(name)).equals(want), name).toBe(true);
      if (np === 2) {
        // rank 0's communication: one exchange per step, the bytes worked out above per step and
        // per epoch (the slices' gather of θ at an epoch's end stands in for the next step's)
        const per = commPerStep(exchange);
        const epochs = jsonLines(r.stdout).filter((o) => o.type === 'epoch');
        expect(epochs).toHaveLength(3);
        const steps = summaries[0]!.steps as number;
        for (const e of epochs) expect(e.comm, name).toEqual({ sentBytes: (steps / 3) * per.sent, receivedBytes: (steps / 3) * per.received, exchanges: steps / 3 });
        expect(summaries[0]!.comm).toEqual({ sentBytes: steps * per.sent, receivedBytes: steps * per.received, exchanges: steps });
      }
    }
  });

  it('the live noise estimate and the model: the same bits for 1 process × 4 workers, 1 × 4 and 2 × 2 ranks × workers, with gather and with slices (P = 8 835: 9 blocks)', async () => {
    const args = ['--data', 'spiral', '--hidden', '128,64', '--batch', '32', '--shards', '8', '--epochs', '1', '--noise-every', '1', '--json'];
    const noiseOf = (stdout: string) => jsonLines(stdout).filter((o) => o.type === 'step').map((o) => JSON.stringify(o.noise));
    const one = runCli(['train', ...args, '--workers', '4', '--distributed', 'none', '--out', out('noise-one')]);
    expect(one.status, one.stderr).toBe(0);
    const want = noiseOf(one.stdout);
    expect(want.length).toBeGreaterThan(5);
    expect(want.every((n) => n !== undefined && JSON.parse(n).traceSigma > 0)).toBe(true);
    for (const exchange of ['gather', 'slices'])
      for (const [np, workers] of [
        [4, 1],
        [2, 2],
      ]) {
        const r = await mpirun(np, [...args, '--workers', String(workers), '--exchange', exchange, '--out', out(`noise-${exchange}-${np}`)]);
        expect(r.status, r.stderr).toBe(0);
        expect(noiseOf(r.stdout), `${np} × ${workers}, ${exchange}`).toEqual(want);
        expect(readFileSync(out(`noise-${exchange}-${np}`)).equals(readFileSync(out('noise-one'))), `${np} × ${workers}, ${exchange}: the model's bytes`).toBe(true);
      }
  });

  it('resume with another number of ranks and the other exchange: 2 ranks (slices) for 2 epochs, then 3 ranks (gather) to 4 epochs = 4 epochs in one process', async () => {
    const want = single([...SPIRAL, '--epochs', '4', '--workers', '2', '--out', out('four')]);
    const ck = path.join(dir, 'ck-resume');
    // Adam: the checkpoint holds its two state slots, which slices gather from the ranks first
    const first = await mpirun(2, [...SPIRAL, '--epochs', '2', '--workers', '1', '--exchange', 'slices', '--checkpoint', ck, '--out', out('first')]);
    expect(first.status, first.stderr).toBe(0);
    const second = await mpirun(3, [...SPIRAL, '--epochs', '4', '--workers', '1', '--checkpoint', ck, '--resume', '--out', out('resumed')]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resum/i);
    expect(readFileSync(out('resumed')).equals(want)).toBe(true);
  });

  it.each(['gather', 'slices'])('--exchange %s: a worker thread of rank 1 that dies after the exchange (its MPI caller, worker 0, mid-update) is replaced, and the step recomputed without a second exchange: the same bytes', async (exchange) => {
    const args = [...SPIRAL, '--epochs', '2', '--workers', '2', '--exchange', exchange];
    const want = single([...SPIRAL, '--epochs', '2', '--workers', '2', '--out', out('fault-want')]);
    // MPMD: only rank 1 gets the fault
    const o = out(`fault-${exchange}`);
    const app = [process.execPath, CLI, 'train', ...args, '--out', o];
    const r = await new Promise<Ran>((resolve, reject) => {
      const child = spawn('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', '1', ...app, ':', '-np', '1', '-x', 'SHARDGRAD_FAULT=worker=0,step=3,kind=exit,phase=update', ...app], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(o).equals(want)).toBe(true);
  });

  it('--distributed mpi in a single process is a job of one: the same bytes', async () => {
    const want = single([...SPIRAL, '--epochs', '1', '--workers', '2', '--out', out('plain')]);
    const r = runCli(['train', ...SPIRAL, '--epochs', '1', '--workers', '2', '--distributed', 'mpi', '--out', out('singleton')]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out('singleton')).equals(want)).toBe(true);
    // nothing crosses to another process, and the output says so
    const none = { sentBytes: 0, receivedBytes: 0, exchanges: 0 };
    expect(jsonLines(r.stdout).filter((o) => o.type !== 'step').map((o) => o.comm)).toEqual([none, none]);
  });

  it('more ranks than shards: one line naming --shards, exit 2, from rank 0 only', async () => {
    // batch 32 defaults to 2 shards (32 / 16): the line says it is the default and what to give
    const r = await mpirun(3, [...SPIRAL_NETWORK, '--out', out('bad')]);
    expect(r.status).not.toBe(0);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('shardgrad: '));
    expect(ours).toEqual(['shardgrad: --shards: 2 (the default for --batch 32) is fewer than the 3 MPI ranks (each rank needs at least one shard): give --shards 3 or more']);
    expect(existsSync(out('bad'))).toBe(false);
  });
});

describe.runIf(runMpi)('mpirun -np N shardgrad train --sync local:H: the bytes of one process', () => {
  const dir = tempDir('mpi-local');
  const out = (name: string) => path.join(dir, `${name}.sgm`);
  // DiLoCo: 4 replicas of 4 shards, AdamW inside, an average every 3 steps (rounds of 3, and each epoch's short last one)
  const LOCAL = ['--data', 'spiral', '--hidden', '24,12', '--batch', '32', '--shards', '16', '--json', '--optimizer', 'adamw', '--lr', '0.01', '--sync', 'local:3', '--replicas', '4', '--outer', 'nesterov:0.7:0.9'];

  it('1 process × 4 workers = 2 ranks × 2 workers = 4 ranks × 1 = 3 ranks × 1 (replicas 2, 1, 1)', async () => {
    const args = [...LOCAL, '--epochs', '2'];
    const want = single([...args, '--workers', '4', '--out', out('one')]);
    for (const [np, workers] of [
      [2, 2],
      [4, 1],
      [3, 1],
    ]) {
      const name = `np${np}w${workers}`;
      const r = await mpirun(np, [...args, '--workers', String(workers), '--out', out(name)]);
      expect(r.status, r.stderr).toBe(0);
      const summaries = jsonLines(r.stdout).filter((o) => o.type === 'summary');
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ ranks: np, workers, sync: 'local:3, 4 replicas, outer nesterov:0.7:0.9 (DiLoCo)' });
      expect(readFileSync(out(name)).equals(want), name).toBe(true);
      if (np === 2) {
        // one exchange a round (3 steps; each epoch's last may be shorter): rank 0's block is its
        // header — 8 bytes of stop word, 8 per replica (failed step, status), 3 × 8 per replica
        // (losses) = 72 — and its one node, replicas [0, 2), as P float64s (P = 398: 2-24-12-2)
        const exchanges = 2 * Math.ceil((summaries[0].steps as number) / 2 / 3);
        const block = 72 + 398 * 8;
        expect(summaries[0].comm).toEqual({ sentBytes: exchanges * block, receivedBytes: exchanges * block, exchanges });
      }
    }
    // plain averaging (no outer step) across 2 ranks, too
    const plain = [...SPIRAL, '--sync', 'local:4', '--replicas', '2', '--epochs', '1'];
    const wantPlain = single([...plain, '--workers', '2', '--out', out('plain-one')]);
    const r = await mpirun(2, [...plain, '--workers', '1', '--out', out('plain-np2')]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out('plain-np2')).equals(wantPlain)).toBe(true);
  });

  it('a checkpoint of 2 ranks (each holding only its replicas\' AdamW state, gathered for it) resumed on 3 ranks: the bytes of one process', async () => {
    const want = single([...LOCAL, '--epochs', '2', '--workers', '1', '--out', out('two-epochs')]);
    const ck = path.join(dir, 'ck');
    const first = await mpirun(2, [...LOCAL, '--epochs', '1', '--workers', '1', '--checkpoint', ck, '--out', out('first')]);
    expect(first.status, first.stderr).toBe(0);
    const second = await mpirun(3, [...LOCAL, '--epochs', '2', '--workers', '1', '--checkpoint', ck, '--resume', '--out', out('resumed')]);
    expect(second.status, second.stderr).toBe(0);
    expect(readFileSync(out('resumed')).equals(want)).toBe(true);
  });

  it('hogwild across ranks, and fewer replicas than ranks: one line naming the flag, exit 2', async () => {
    const [hog, few] = await Promise.all([
      mpirun(2, [...SPIRAL, '--sync', 'hogwild', '--out', out('hog')]),
      mpirun(3, [...SPIRAL, '--sync', 'local:2', '--replicas', '2', '--out', out('few')]),
    ]);
    const lines = (r: Ran) => r.stderr.split('\n').filter((l) => l.startsWith('shardgrad: '));
    expect(hog.status).not.toBe(0);
    expect(lines(hog)).toEqual(['shardgrad: --sync: hogwild runs in one process, not across MPI ranks (use --sync step or local:H)']);
    expect(few.status).not.toBe(0);
    expect(lines(few)).toEqual(['shardgrad: --replicas: 2 is fewer than the 3 MPI ranks (each rank runs at least one replica)']);
  });
});

/** Plain SGD at a small rate: however many epochs run before the signal, nothing diverges. */
const STEADY = ['--data', 'spiral', '--hidden', '24,12', '--batch', '32', '--shards', '16', '--lr', '0.02', '--json'];

describe.runIf(runMpi)('stopping a job across ranks', () => {
  const dir = tempDir('mpi-stop');
  const long = [...STEADY, '--epochs', '100000', '--workers', '1', '--checkpoint-every', '5'];

  it('Ctrl-C to mpirun stops every rank after the same step, rank 0 writes the checkpoint, and a resume continues to the bits of an uninterrupted run', async () => {
    const ck = path.join(dir, 'ck-int');
    let signalled = false;
    const r = await mpirun(2, [...long, '--checkpoint', ck, '--out', path.join(dir, 'int.sgm')], {
      mca: KILL_AFTER,
      during: (pid, stdout) => {
        // once a few steps have run: any step will do, the assertions below hold for every one
        if (!signalled && jsonLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1)).filter((o) => o.type === 'step').length >= 20) {
          signalled = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(signalled).toBe(true);
    expect(r.status).not.toBe(0);
    // mpirun forwards Ctrl-C to the ranks as SIGTERM; rank 0 says where the checkpoint is, once
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('shardgrad: '));
    const last = ours[ours.length - 1];
    expect(last).toMatch(/^shardgrad: interrupted by SIGTERM at step (\d+): checkpoint .*checkpoint\.sgm \(continue with --resume\)/);
    const step = Number(/at step (\d+)/.exec(last)![1]);
    const c = readModelFile(path.join(ck, 'checkpoint.sgm'));
    expect((c.meta as { step: number }).step).toBe(step);
    // continue to the end of the next epoch but one, in one process: the bits of an uninterrupted run of as many epochs
    const epochs = String((c.meta as { epoch: number }).epoch + 2);
    const resumed = runCli(['train', ...quiet(STEADY), '--epochs', epochs, '--workers', '2', '--checkpoint', ck, '--resume', '--out', path.join(dir, 'int-resumed.sgm')]);
    expect(resumed.status, resumed.stderr).toBe(0);
    const want = single([...STEADY, '--epochs', epochs, '--workers', '2', '--out', path.join(dir, 'int-want.sgm')]);
    expect(readFileSync(path.join(dir, 'int-resumed.sgm')).equals(want)).toBe(true);
  });

  it('a rank that dies: every rank exits non-zero with one line, the checkpoint is intact, and a restart from it continues to the same bits', async () => {
    const ck = path.join(dir, 'ck-kill');
    const marker = path.join(dir, 'kill.sgm');
    let killed = 0;
    const r = await mpirun(3, [...long, '--exchange', 'slices', '--checkpoint', ck, '--out', marker], {
      mca: KILL_AFTER,
      during: () => {
        if (killed || !existsSync(path.join(ck, 'checkpoint.sgm'))) return;
        const rank1 = rankPids(marker).get(1);
        if (rank1 === undefined) return;
        killed = rank1;
        process.kill(rank1, 'SIGKILL');
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(r.status).not.toBe(0);
    // ranks 0 and 2 each leave with one line (no stack trace); mpirun adds its own report
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('shardgrad: ') && !l.includes('SIGTERM: finishing'));
    expect(ours.length, r.stderr).toBeGreaterThanOrEqual(1);
    for (const line of ours) expect(line).toMatch(/^shardgrad: rank [02] of 3: another rank stopped without finishing the step .*; the checkpoint of step \d+ is kept; continue with --resume$/);
    expect(r.stderr).not.toMatch(/internal error|\bat .*\.js:\d+/);
    const c = readModelFile(path.join(ck, 'checkpoint.sgm'));
    const epochs = String((c.meta as { epoch: number }).epoch + 2);
    const restarted = await mpirun(3, [...quiet(STEADY), '--epochs', epochs, '--workers', '1', '--checkpoint', ck, '--resume', '--out', path.join(dir, 'restarted.sgm')]);
    expect(restarted.status, restarted.stderr).toBe(0);
    const want = single([...STEADY, '--epochs', epochs, '--workers', '2', '--out', path.join(dir, 'kill-want.sgm')]);
    expect(readFileSync(path.join(dir, 'restarted.sgm')).equals(want)).toBe(true);
  });
});

describe.runIf(runMpi && (Boolean(process.env.CI) || hasNetns))('two hosts: network namespaces joined by a veth pair, TCP between them', () => {
  const dir = tempDir('mpi-netns');
  const env = { ...process.env, SG_NETNS_PREFIX: 'sgt', SG_NETNS_SUBNET: '10.213.9' };
  const hosts = (...args: string[]) => {
    const r = spawnSync('sh', [NETNS, ...args], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
  };
  /** mpirun inside the first host, one rank on each, TCP over the veth pair only */
  const onHosts = { prefix: ['ip', 'netns', 'exec', 'sgt-h1'], mca: ['--host', 'sgt-h1,sgt-h2', ...NO_TOPO_SHARE, '--mca', 'plm_rsh_agent', AGENT, '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', '10.213.9.0/24', '--mca', 'oob_tcp_if_include', '10.213.9.0/24'] };

  it('2 ranks on 2 "hosts" × 2 workers give the bytes of one process', async () => {
    hosts('up');
    try {
      const args = [...SPIRAL, '--epochs', '2'];
      const want = single([...args, '--workers', '4', '--out', path.join(dir, 'one.sgm')]);
      const r = await mpirun(2, [...args, '--workers', '2', '--out', path.join(dir, 'hosts.sgm')], onHosts);
      expect(r.status, r.stderr).toBe(0);
      expect(jsonLines(r.stdout).filter((o) => o.type === 'summary')).toHaveLength(1);
      expect(readFileSync(path.join(dir, 'hosts.sgm')).equals(want)).toBe(true);
    } finally {
      spawnSync('sh', [NETNS, 'down'], { env });
    }
  });

  /** What the tbf qdisc on a host's end of the pair let through so far (bytes), or undefined without one. */
  function tbfSent(host: string, dev: string): number | undefined {
    const r = spawnSync('ip', ['netns', 'exec', host, 'tc', '-s', '-j', 'qdisc', 'show', 'dev', dev], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const q = (JSON.parse(r.stdout) as { kind: string; root?: boolean; bytes: number; options?: { rate: number } }[]).find((x) => x.kind === 'tbf' && x.root);
    return q?.bytes;
  }

  it('over a link limited to 100 Mbit/s (tbf on both ends): the model bytes of the unlimited link, every byte the run counts through the filter', async () => {
    // 2-256-256-2 (P = 2·256+256 + 256·256+256 + 256·2+2 = 67,074): 268 kB each way per step, 30 steps — 8 MB, well over the filter's 4 kB burst
    const args = ['--data', 'spiral', '--hidden', '256,256', '--batch', '32', '--shards', '16', '--lr', '0.05', '--optimizer', 'adam', '--epochs', '2', '--workers', '1', '--json'];
    hosts('up', 'none');
    try {
      expect(tbfSent('sgt-h1', 'sgt-v1')).toBeUndefined();
      const free = await mpirun(2, [...args, '--out', path.join(dir, 'free.sgm')], onHosts);
      expect(free.status, free.stderr).toBe(0);
      hosts('rate', '100mbit');
      const [out0, in0] = [tbfSent('sgt-h1', 'sgt-v1'), tbfSent('sgt-h2', 'sgt-v2')];
      expect(out0).toBeDefined();
      expect(in0).toBeDefined();
      const slow = await mpirun(2, [...args, '--out', path.join(dir, 'slow.sgm')], onHosts);
      expect(slow.status, slow.stderr).toBe(0);
      // the link changes the time, not the bits
      expect(readFileSync(path.join(dir, 'slow.sgm')).equals(readFileSync(path.join(dir, 'free.sgm')))).toBe(true);
      // rank 0 (on the first host) sent through its end's filter at least what it counts, and what it received came through the other end's
      const comm = jsonLines(slow.stdout).find((o) => o.type === 'summary')!.comm as { sentBytes: number; receivedBytes: number; exchanges: number };
      expect(comm.exchanges).toBe(30);
      expect(comm.sentBytes).toBeGreaterThan(30 * 4 * 67_074);
      expect(tbfSent('sgt-h1', 'sgt-v1')! - out0!).toBeGreaterThanOrEqual(comm.sentBytes);
      expect(tbfSent('sgt-h2', 'sgt-v2')! - in0!).toBeGreaterThanOrEqual(comm.receivedBytes);
    } finally {
      spawnSync('sh', [NETNS, 'down'], { env });
    }
  });
});

describe('--distributed', () => {
  it('without the MPI addon: --distributed mpi is one line saying how to get it, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'train', '--data', 'xor', '--distributed', 'mpi', '--out', path.join(tempDir('mpi-none'), 'x.sgm')], {
      encoding: 'utf8',
      env: { ...process.env, SHARDGRAD_MPI_ADDON: '/nonexistent/shardgrad_mpi.node' },
    });
    expectOneLineError(r, /^shardgrad: --distributed: mpi needs MPI support, which is not built here: .*apt-get install openmpi-bin libopenmpi-dev/);
  });

  it('a value other than auto, mpi, none is a usage error naming the flag', () => {
    const r = runCli(['train', '--data', 'xor', '--distributed', 'gloo']);
    expectOneLineError(r, /--distributed|Invalid values/);
  });
});
