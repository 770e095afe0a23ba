// Compiles packages/core/assembly into the four builds of the kernels (dist/kernels/):
// {simd, relaxed} × {private memory, shared memory}. Every build imports its memory (env.memory),
// so the JavaScript side decides where θ, the gradients and the scratch live; the shared builds
// declare it shared, for one WebAssembly.Memory viewed by every worker thread.
import { execFileSync } from 'node:child_process';
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
for (const [name, features, extra] of builds) {
  execFileSync(
    process.execPath,
    [asc, 'assembly/index.ts', '--enable', features, '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', ...extra, '-o', `dist/kernels/shardgrad-kernels-${name}.wasm`],
    { cwd: root, stdio: 'inherit' },
  );
}
