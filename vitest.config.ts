import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // one line per missing program (Chromium, OpenMPI, …) and the tests it skips; a failure in CI
    globalSetup: ['test/setup/global-setup.ts'],
  },
});
