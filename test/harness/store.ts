import { inject } from 'vitest';
import type { StoreLocation } from '../../services/store/index.ts';
import { createPostgresDatabase } from './postgres.ts';

/** The engines the store runs on; store suites run once on each. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type TestEngine = (typeof ENGINES)[number];

/**
 * A new, empty store location on the engine: a SQLite file in `dir`, or a fresh database on the
 * run's PostgreSQL server (test/harness/global-setup.ts). `drop` removes the database.
 */
export async function storeLocation(
  engine: TestEngine,
  dir: string,
  name = 'store',
): Promise<{ location: StoreLocation; drop: () => Promise<void> }> {
  if (engine === 'sqlite') return { location: { sqlitePath: `${dir}/${name}.sqlite` }, drop: async () => {} };
  const db = await createPostgresDatabase(inject('postgresUrl'), name);
  return { location: { databaseUrl: db.url }, drop: db.drop };
}
