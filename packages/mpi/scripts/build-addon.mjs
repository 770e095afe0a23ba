// Builds the MPI addon (src/shardgrad_mpi.c) into build/shardgrad_mpi.node with the MPI compiler
// wrapper ($MPICC, else mpicc; OpenMPI or MPICH) against the npm package node-api-headers: nothing
// is downloaded, node-gyp is not used. Run by the package's install script. It never fails the
// install: it prints ONE line, either what it built or why MPI is unavailable, and records the
// outcome in build/status.json for loadMpi() to report.
//
//   node scripts/build-addon.mjs [--out DIR]      (DIR: where the .node and status.json go)
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.join(here, '..', 'src', 'shardgrad_mpi.c');
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(here, '..', 'build');
const addon = path.join(outDir, 'shardgrad_mpi.node');
const mpicc = process.env.MPICC || 'mpicc';
const HOW = 'apt-get install openmpi-bin libopenmpi-dev (or MPICH), then pnpm rebuild @shardgrad/mpi';

const FLAGS = ['-O2', '-std=gnu11', '-fPIC', '-shared', '-fvisibility=hidden', '-Wall', '-pthread'];

/** Why the addon cannot be built here, or undefined: the compile step, then loading the result. */
function build() {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return `building on ${process.platform} is not supported by this script`;
  let include;
  try {
    include = createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch {
    return 'the npm package node-api-headers is missing (reinstall dependencies)';
  }
  mkdirSync(outDir, { recursive: true });
  const temp = `${addon}.${process.pid}.tmp`;
  const args = [...FLAGS, ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []), '-I', include, source, '-o', temp, ...(process.platform === 'linux' ? ['-ldl'] : [])];
  const r = spawnSync(mpicc, args, { encoding: 'utf8' });
  if (r.error) {
    rmSync(temp, { force: true });
    return r.error.code === 'ENOENT' ? `no MPI compiler (${mpicc} not found)` : `${mpicc} could not be run (${r.error.code ?? r.error.message})`;
  }
  if (r.status !== 0) {
    rmSync(temp, { force: true });
    const first = (r.stderr || r.stdout || '').split('\n').find((l) => /error/i.test(l)) ?? `exit code ${r.status}`;
    return `${mpicc} failed: ${first.trim()}`;
  }
  renameSync(temp, addon); // atomic: a process loading the previous build never sees half a file
  try {
    createRequire(import.meta.url)(addon).state();
  } catch (e) {
    return `the built addon does not load (${String(e.message).split('\n')[0]})`;
  }
  return undefined;
}

let reason;
try {
  reason = build();
} catch (e) {
  reason = `unexpected error while building (${String(e?.message ?? e).split('\n')[0]})`;
}
const ok = reason === undefined;
try {
  mkdirSync(outDir, { recursive: true });
  if (!ok) rmSync(addon, { force: true });
  writeFileSync(path.join(outDir, 'status.json'), JSON.stringify(ok ? { ok, mpicc } : { ok, reason, mpicc }) + '\n');
} catch {
  // the status file is a convenience for the message; the loader copes without it
}
console.log(ok ? `shardgrad: MPI addon built with ${mpicc}` : `shardgrad: MPI addon not built (${reason}); to get it: ${HOW}`);
