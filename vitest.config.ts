import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // testRun: the run's temporary directory and the final check that nothing was left behind.
    globalSetup: ['test/support/buildDist.ts', 'test/support/testRun.ts'],
    setupFiles: ['test/support/checkEachFile.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Test files wait on git and service processes much of the time: two run side by side even
    // on two cores (vitest's default there is one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
