import { defineConfig } from 'vitest/config';

// GPU tests share one Dawn device per worker; the software adapter is CPU-bound, so
// two workers (one per core) is the most that helps on the CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  },
});
