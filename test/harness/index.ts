import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export { freePort } from '../../platform/index.ts';
export {
  type PlatformProcess,
  type PlatformProcessEnv,
  platformProcessEnv,
  runPlatformProcess,
  startPlatformProcess,
  TEST_ADMIN,
} from './platform-process.ts';

/** A temp folder removed by the returned function. */
export function tempDir(prefix = 'tryghed-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A database name unique to this test file and run, so tests never see each other's points. */
export function uniqueDatabase(prefix = 'test'): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Polls `check` until it returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null)
        return value as Exclude<T, false | undefined | null>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${options.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}

/**
 * A list of what a test opened, closed after each test in reverse order (the last opened first):
 * `cleanup.push(() => thing.close())`. Call at the top of a `describe`.
 */
export function cleanupAfterEach(): Array<() => Promise<unknown> | unknown> {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  return cleanup;
}
