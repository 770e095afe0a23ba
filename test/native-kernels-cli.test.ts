// The native kernels through the built CLI: --kernel native and --kernel wasm train to identical
// model files; auto picks native where it loaded; and the fallback path — the install's build
// script with no compiler succeeds with one line, after which auto uses WebAssembly and
// --kernel native is a one-line usage error (exit 2).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, expectOneLineError, jsonLines, tempDir } from './cli-helpers.js';

const BUILD_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/native/scripts/build-addon.mjs');
const native = await import('@shardgrad/native');
const nativeLoaded = native.nativeUnavailableReason() === undefined;

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env }, timeout: 120_000 });
}

/** The summary object of `train --json`. */
function summary(r: SpawnSyncReturns<string>): Record<string, unknown> {
  expect(r.status, r.stderr).toBe(0);
  const s = jsonLines(r.stdout).find((o) => o.type === 'summary');
  expect(s).toBeDefined();
  return s!;
}

describe('without a C compiler the install still succeeds, and WebAssembly is used', () => {
  const dir = tempDir('native-fallback');
  const addon = path.join(dir, 'shardgrad-native.node');

  it('the build script exits 0 with one line saying why (CC names a missing program)', () => {
    const r = run(BUILD_SCRIPT, ['--out', dir], { CC: path.join(dir, 'no-such-cc') });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n')).toEqual([`shardgrad: native kernels unavailable, using WebAssembly: no C compiler (${path.join(dir, 'no-such-cc')} not found; set CC to one)`]);
    expect(existsSync(addon)).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'status.json'), 'utf8'))).toMatchObject({ ok: false });
  });

  it('the same with no cc on the PATH, and with a compiler that fails', () => {
    const noPath = run(BUILD_SCRIPT, ['--out', dir], { CC: '', PATH: dir });
    expect(noPath.status).toBe(0);
    expect(noPath.stdout.trimEnd().split('\n')).toEqual(['shardgrad: native kernels unavailable, using WebAssembly: no C compiler (cc not found; set CC to one)']);
    const failing = run(BUILD_SCRIPT, ['--out', dir], { CC: 'false' });
    expect(failing.status).toBe(0);
    expect(failing.stdout.trimEnd().split('\n')).toEqual(['shardgrad: native kernels unavailable, using WebAssembly: false failed: exit code 1']);
    expect(existsSync(addon)).toBe(false);
  });

  it('train and bench with --kernel auto use wasm-relaxed; --kernel native is one line naming the reason, exit 2', () => {
    expect(run(BUILD_SCRIPT, ['--out', dir], { CC: path.join(dir, 'no-such-cc') }).status).toBe(0); // the reason recorded: no compiler
    const env = { SHARDGRAD_NATIVE_ADDON: addon };
    const out = path.join(dir, 'auto.sgm');
    expect(summary(run(CLI, ['train', '--data', 'xor', '--hidden', '4', '--epochs', '1', '--workers', '2', '--out', out, '--json'], env)).kernel).toBe('wasm-relaxed');
    const bench = run(CLI, ['bench', '--data', 'xor', '--hidden', '4', '--batch', '32', '--workers', '1', '--epochs', '2', '--json'], env);
    expect(bench.status, bench.stderr).toBe(0);
    expect(jsonLines(bench.stdout)[0].kernel).toBe('wasm-relaxed');
    const r = run(CLI, ['train', '--data', 'xor', '--epochs', '1', '--out', path.join(dir, 'n.sgm'), '--kernel', 'native'], env);
    expectOneLineError(r, '--kernel: native kernels unavailable: no C compiler');
    expect(existsSync(path.join(dir, 'n.sgm'))).toBe(false);
  });
});

describe.skipIf(!nativeLoaded)('native kernels train to the same model bytes as wasm', () => {
  const dir = tempDir('native-bits');
  const train = (kernel: string, name: string, args: string[]) => {
    const out = path.join(dir, `${name}-${kernel}.sgm`);
    const s = summary(run(CLI, ['train', ...args, '--kernel', kernel, '--out', out, '--json']));
    return { kernel: s.kernel as string, bytes: readFileSync(out) };
  };

  it('xor, 2-16-16-2 ReLU, 1 and 2 workers; auto picks native', () => {
    const args = ['--data', 'xor', '--hidden', '16,16', '--lr', '0.3', '--epochs', '15', '--batch', '16'];
    for (const workers of ['1', '2']) {
      const a = train('native', `xor-w${workers}`, [...args, '--workers', workers]);
      const b = train('wasm', `xor-w${workers}`, [...args, '--workers', workers]);
      expect(a.kernel).toMatch(/^native-avx(512|2)$/);
      expect(b.kernel).toBe('wasm-relaxed');
      expect(a.bytes.equals(b.bytes)).toBe(true);
    }
    const auto = train('auto', 'xor-auto', [...args, '--workers', '1']);
    expect(auto.kernel).toMatch(/^native-/);
  });

  it('one shard per worker (--shards 8 --workers 8, and 5 on 8: unpaired leaves in every plan)', () => {
    for (const workers of ['8', '5']) {
      const args = ['--data', 'spiral', '--hidden', '16', '--epochs', '2', '--shards', '8', '--workers', workers];
      const a = train('native', `one-leaf-w${workers}`, args);
      const b = train('wasm', `one-leaf-w${workers}`, args);
      expect(a.kernel).toMatch(/^native-/);
      expect(a.bytes.equals(b.bytes)).toBe(true);
    }
  });

  it('MNIST slice, 784-256-128-10, batch 128, Adam, 2 workers', () => {
    const args = ['--limit', '1536', '--hidden', '256,128', '--batch', '128', '--epochs', '2', '--optimizer', 'adam', '--lr', '0.001', '--workers', '2'];
    const a = train('native', 'mnist', args);
    const b = train('wasm', 'mnist', args);
    expect(a.kernel).toMatch(/^native-/);
    expect(a.bytes.equals(b.bytes)).toBe(true);
  });
});
