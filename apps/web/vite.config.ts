import { defineConfig } from 'vite';

/** SharedArrayBuffer needs a cross-origin isolated page: both servers send these two headers. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  // pre-bundled at start, so the first page load does not trigger a reload mid-test
  optimizeDeps: { include: ['comlink', '@shardgrad/core > crc-32'] },
  build: { target: 'es2022' },
});
