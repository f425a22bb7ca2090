import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run test files two at a time; each opens its own broker and ports.
    maxWorkers: 2,
    reporters: ['default'],
    // `npm test` runs with --coverage; a single file run without it (the floor is for the whole suite).
    coverage: {
      provider: 'v8',
      // the code that runs in Node; the browser app runs in Chromium, where v8 here cannot see it
      include: [
        'bin/**/*.ts',
        'platform/**/*.ts',
        'services/**/*.ts',
        'broker/**/*.ts',
        'gateway/**/*.ts',
        'dashboard/server/**/*.ts',
        'simulators/**/*.ts',
      ],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // a timed-out test must not hide the report
      reportOnFailure: true,
      // The floor, so coverage can only rise. Set from 14 unit and service test files (51.0 % statements,
      // 41.3 % branches, 51.4 % functions, 53.5 % lines on 28 Nov 2026) less a point: a lower bound of
      // what the whole suite covers. Raise it to the whole suite's level (less a point) from the
      // summary `npm test` prints.
      thresholds: { statements: 50, branches: 40, functions: 50, lines: 52 },
    },
  },
});
