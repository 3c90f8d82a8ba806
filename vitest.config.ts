import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the admin console in a real browser: `npm run test:browser` (vitest.browser.config.ts); the
    // deployment with nginx and PostgreSQL: vitest.cluster.config.ts
    exclude: [...configDefaults.exclude, 'test/browser/**', 'test/cluster/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // two cores: two files at a time, each with its own database
    maxWorkers: 2,
    // a worker runs its files one after another in one process, so src/ and its dependencies load
    // once per worker rather than once per file (that was a third of the suite's time), and the
    // embedded database and default app a file is done with are emptied and handed to the next
    // (test/helpers/harness.ts). Helper modules are shared by the files of a worker: they register
    // hooks only from functions a file calls, never on import.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
