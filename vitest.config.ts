import { defineConfig } from 'vitest/config';
import FirstRunSequencer from './test/sequencer.js';

// GPU tests share one Dawn device per worker; the software adapter is CPU-bound, so
// two workers (one per core) is the most that helps on the CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // which files start first on a fresh shader cache (test/sequencer.ts)
    sequence: { sequencer: FirstRunSequencer },
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The tuner stays off in tests even if the caller's shell turned it on (deterministic
    // kernels, nothing written to the user's cache folder); test/engine/tuner.test.ts turns it
    // on over a temporary folder.
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', HPA_TUNE: 'off' },
  },
});
