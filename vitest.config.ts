import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A folder for the run's shared control plane, started only if a test asks for it.
    globalSetup: ['test-support/control-plane/global-setup.ts'],
    // Each test file's temporary folders go into one private folder, removed after the file.
    setupFiles: ['test-support/vitest-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
