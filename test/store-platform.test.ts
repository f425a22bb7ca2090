import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { eventually, freePort, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';

const OPS_TOKEN = 'operator-token-0123456789';

describe('the platform on PostgreSQL (DATABASE_URL)', () => {
  let dir: ReturnType<typeof tempDir>;
  let url: string;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    dir = tempDir();
    ({ url, drop } = await createPostgresDatabase(inject('postgresUrl'), 'platform'));
  });
  afterEach(async () => {
    await drop();
    dir.remove();
  });

  it('keeps its store in PostgreSQL, not in a SQLite file, and /readyz says when PostgreSQL is gone', async () => {
    const platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('pgplatform'),
      env: { DATABASE_URL: url, METRICS_TOKEN: OPS_TOKEN },
    });
    const operator = { headers: { authorization: `Bearer ${OPS_TOKEN}` } };
    const client = new pg.Client({ connectionString: inject('postgresUrl') });
    await client.connect();
    try {
      expect(platform.store.kind).toBe('postgres');
      expect(existsSync(`${dir.path}/tryghed.sqlite`)).toBe(false);
      const ready = await fetch(`${platform.dashboardUrl}/readyz`, operator);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ checks: { store: true } });
      // the first administrator was written to PostgreSQL
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      const { rows } = await db.query('SELECT username FROM users');
      await db.end();
      expect(rows).toEqual([{ username: 'admin' }]);

      // PostgreSQL refuses this database from now on, and ends the platform's connections
      const name = new URL(url).pathname.slice(1);
      await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const down = await fetch(`${platform.dashboardUrl}/readyz`, operator);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ checks: { store: false } });
      await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      // the store's reachability is polled every second: ready again at the next look
      await eventually(
        async () => (await fetch(`${platform.dashboardUrl}/readyz`, operator)).status === 200,
        {
          what: 'ready again',
          timeoutMs: 10_000,
        },
      );
    } finally {
      await client.end();
      await platform.close();
    }
  });

  it('warns when a SQLite store is left behind unused', async () => {
    const { openStore } = await import('../services/store/index.ts');
    await (await openStore({ sqlitePath: `${dir.path}/tryghed.sqlite` })).close();
    const platform = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('pgplatform'),
      env: { DATABASE_URL: url },
    });
    try {
      expect(platform.warnings.join('\n')).toMatch(
        /tryghed\.sqlite is not used; copy it first with tryghed migrate-store/,
      );
    } finally {
      await platform.close();
    }
  });

  it('does not start without its PostgreSQL, and says which setting to check without the password', async () => {
    const port = await freePort();
    const failed = await startTestPlatform({
      dataDir: dir.path,
      database: uniqueDatabase('pgplatform'),
      env: { DATABASE_URL: `postgres://tryghed:secret-pw@127.0.0.1:${port}/tryghed` },
    }).catch((e: unknown) => e as Error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/DATABASE_URL/);
    expect((failed as Error).message).toContain(`127.0.0.1:${port}/tryghed`);
    expect((failed as Error).message).not.toContain('secret-pw');
  });
});
