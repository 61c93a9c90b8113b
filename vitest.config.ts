import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sockets and real processes on a busy 2-core CI machine: generous timeouts, no timing flakes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { PACT_DO_NOT_TRACK: 'true', TESTCONTAINERS_RYUK_DISABLED: 'true' },
  },
});
