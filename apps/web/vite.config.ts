import { defineConfig, type UserConfig } from 'vite';

/** SharedArrayBuffer needs a cross-origin isolated page: both servers send these two headers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The demo's config; `isolated: false` leaves the headers out (the tests' non-isolated server). */
export function webConfig(isolated = true): UserConfig {
  const headers = isolated ? ISOLATION_HEADERS : {};
  return {
    server: { headers },
    preview: { headers },
    worker: { format: 'es' },
    // pre-bundled at start, so the first page load does not trigger a reload mid-test
    optimizeDeps: { include: ['comlink', '@shardgrad/core > crc-32'] },
    build: { target: 'es2022' },
  };
}

export default defineConfig(webConfig());
