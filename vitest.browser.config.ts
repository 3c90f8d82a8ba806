import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the admin console in Debian's Chromium against the real service
 * (test/browser/). One file, one browser, one service: nothing runs in parallel.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
