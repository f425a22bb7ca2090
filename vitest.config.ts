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
      // The floor, so coverage can only rise: the whole suite's level on a clean clone, 28 Nov 2026,
      // session 8 (89.1 % statements, 81.7 % branches, 92.0 % functions, 91.5 % lines) less a point,
      // since timing decides a few branches. Raise it from the summary `npm test` prints.
      thresholds: { statements: 88, branches: 80, functions: 91, lines: 90 },
    },
  },
});
