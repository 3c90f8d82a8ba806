import { defineConfig } from 'vitest/config';

/**
 * The deployment tests (test/cluster/): PostgreSQL, three instances of the service and nginx,
 * started by scripts/cluster.mjs for each file. One file at a time, in one worker: each file's
 * cluster uses both cores. Skipped with a notice without nginx or PostgreSQL's binaries, unless
 * REQUIRE_CLUSTER=1 (CI). `npx vitest run --config vitest.cluster.config.ts`.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // a test's own bound is tighter (each measures and asserts its durations); this is the backstop
    testTimeout: 120_000,
    // starting a cluster: initdb, PostgreSQL, three instances (and a build of dist/ if src changed)
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
