// Builds the native kernels (src/shardgrad_native.c) into build/shardgrad-native.node with the
// system C compiler ($CC, else cc) against the npm package node-api-headers: nothing is downloaded,
// node-gyp is not used. Run by the package's install script. It never fails the install: it prints
// ONE line, either what it built or why native kernels are unavailable (WebAssembly is used then),
// and records the outcome in build/status.json for the loader to report.
//
//   node scripts/build-addon.mjs [--out DIR]      (DIR: where the .node and status.json go)
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.join(here, '..', 'src', 'shardgrad_native.c');
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(here, '..', 'build');
const addon = path.join(outDir, 'shardgrad-native.node');
const cc = process.env.CC || 'cc';

/** -ffp-contract=off: the fmas are written out; the compiler must not fuse (or unfuse) anything else. */
const FLAGS = ['-O3', '-std=gnu11', '-fPIC', '-shared', '-ffp-contract=off', '-fno-fast-math', '-fvisibility=hidden', '-Wall'];

/** Why native kernels cannot be built here, or undefined: the compile step, then loading the result. */
function build() {
  if (process.arch !== 'x64') return `the native kernels are x86-64 (AVX-512 / AVX2) only, this is ${process.arch}`;
  if (process.platform !== 'linux' && process.platform !== 'darwin') return `building on ${process.platform} is not supported by this script`;
  let include;
  try {
    include = createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch {
    return 'the npm package node-api-headers is missing (reinstall dependencies)';
  }
  mkdirSync(outDir, { recursive: true });
  const temp = `${addon}.${process.pid}.tmp`;
  const args = [...FLAGS, ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []), '-I', include, source, '-o', temp];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.error) {
    rmSync(temp, { force: true });
    return (r.error.code === 'ENOENT' ? `no C compiler (${cc} not found; set CC to one)` : `${cc} could not be run (${r.error.code ?? r.error.message})`);
  }
  if (r.status !== 0) {
    rmSync(temp, { force: true });
    const first = (r.stderr || r.stdout || '').split('\n').find((l) => /error/i.test(l)) ?? `exit code ${r.status}`;
    return `${cc} failed: ${first.trim()}`;
  }
  renameSync(temp, addon); // atomic: a process loading the previous build never sees half a file
  try {
    const isas = createRequire(import.meta.url)(addon).isas;
    if (!isas.length) return 'this CPU has neither AVX-512 nor AVX2 with FMA';
    return { isas };
  } catch (e) {
    return `the built addon does not load (${String(e.message).split('\n')[0]})`;
  }
}

let outcome;
try {
  outcome = build();
} catch (e) {
  outcome = `unexpected error while building (${String(e?.message ?? e).split('\n')[0]})`;
}
const ok = typeof outcome === 'object';
try {
  mkdirSync(outDir, { recursive: true });
  if (!ok) rmSync(addon, { force: true });
  writeFileSync(path.join(outDir, 'status.json'), JSON.stringify(ok ? { ok, isas: outcome.isas, cc } : { ok, reason: outcome, cc }) + '\n');
} catch {
  // the status file is a convenience for the message; the loader copes without it
}
console.log(ok ? `shardgrad: native kernels built (${outcome.isas.join(', ')}) with ${cc}` : `shardgrad: native kernels unavailable, using WebAssembly: ${outcome}`);
