import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources; the CLI tests run dist/, built once by the global setup.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts', 'test/lab/harness/global-setup.ts'],
    // Every report a test obtains from the pipeline is checked against schema/report.schema.json.
    setupFiles: ['test/schema/setup.ts'],
  },
});
