import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type LocalInfluxd, startInfluxd } from '../../platform/index.ts';
import { type LocalPostgres, startPostgres } from './postgres.ts';

let influxd: LocalInfluxd | undefined;
let dir: string | undefined;
let postgres: LocalPostgres | undefined;

/**
 * One real influxd for the whole run, in a temp folder on a free port. Each test file uses its own
 * database, so they never see each other's points. If influxd cannot start, the run fails here,
 * loudly, instead of tests skipping.
 */
export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'tryghed-influxd-'));
  influxd = await startInfluxd({ dir });
  project.provide('influxUrl', influxd.url);
  // One real PostgreSQL for the run too; each store suite makes its own database on it.
  postgres = await startPostgres().catch(async (err: unknown) => {
    // fail the run, and leave no influxd behind
    await teardown();
    throw err;
  });
  project.provide('postgresUrl', postgres.adminUrl);
  project.provide('influxV2', {
    url: process.env.INFLUX_V2_URL ?? '',
    token: process.env.INFLUX_V2_TOKEN ?? '',
    org: process.env.INFLUX_V2_ORG ?? '',
    bucket: process.env.INFLUX_V2_BUCKET ?? '',
  });
}

export async function teardown(): Promise<void> {
  await influxd?.stop();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string;
    /** the test PostgreSQL server's `postgres` database: make a database of your own from it */
    postgresUrl: string;
    influxV2: { url: string; token: string; org: string; bucket: string };
  }
}
