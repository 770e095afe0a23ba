// Compiles packages/core/assembly into the four builds of the kernels (dist/kernels/):
// {simd, relaxed} × {private memory, shared memory}. Every build imports its memory (env.memory),
// so the JavaScript side decides where θ, the gradients and the scratch live; the shared builds
// declare it shared, for one WebAssembly.Memory viewed by every worker thread.
//
//   node scripts/build-wasm.mjs [--if-stale]   (--if-stale: only when a build is missing or older than its sources; prepack)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '..');
const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
const builds = [
  ['simd', 'simd', []],
  ['relaxed', 'simd,relaxed-simd', []],
  ['simd-shared', 'simd,threads', ['--sharedMemory', '--maximumMemory', '65536']],
  ['relaxed-shared', 'simd,relaxed-simd,threads', ['--sharedMemory', '--maximumMemory', '65536']],
];
const output = (name) => path.join(root, 'dist', 'kernels', `shardgrad-kernels-${name}.wasm`);
const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -Infinity;
  }
};
const sources = [path.join(here, 'build-wasm.mjs'), ...readdirSync(path.join(root, 'assembly')).map((f) => path.join(root, 'assembly', f))];
const newestSource = Math.max(...sources.map(mtime));
const stale = builds.some(([name]) => mtime(output(name)) < newestSource);
if (process.argv.includes('--if-stale') && !stale) process.exit(0);
mkdirSync(path.join(root, 'dist', 'kernels'), { recursive: true });
for (const [name, features, extra] of builds) {
  // written aside, then renamed: a process loading the kernels meanwhile sees the old or the new file, never half of one
  const temp = `${output(name)}.${process.pid}.tmp.wasm`;
  execFileSync(
    process.execPath,
    [asc, 'assembly/index.ts', '--enable', features, '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', ...extra, '-o', temp],
    { cwd: root, stdio: 'inherit' },
  );
  renameSync(temp, output(name));
}
