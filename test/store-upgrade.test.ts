import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { copyStore, openStore, SCHEMA_VERSION, type Store } from '../services/store/index.ts';
import { LEGACY_SQLITE_MIGRATIONS } from './fixtures/legacy-sqlite-schema.ts';
import { untouchedAlert } from './harness/alert-fields.ts';
import { tempDir } from './harness/index.ts';
import { createPostgresDatabase } from './harness/postgres.ts';

const run = promisify(execFile);

/** A SQLite data file exactly as the store before kysely made it (schema version 7), with data in it. */
function legacyFile(path: string): void {
  const raw = new Database(path);
  raw.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
  for (const sql of LEGACY_SQLITE_MIGRATIONS) raw.exec(sql);
  raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LEGACY_SQLITE_MIGRATIONS.length);
  raw.exec(`
    INSERT INTO teams (id, name) VALUES ('t', 'Team');
    INSERT INTO homes (id, label, team_id, settings, test, created_at) VALUES ('h1', 'Home 1', 't', '{"a":1}', 0, 1700000000000);
    INSERT INTO users (id, username, display_name, role, password_hash, home_id, created_at)
      VALUES ('u1', 'anna', 'Anna', 'staff', 'hash', NULL, 1);
    INSERT INTO team_members (user_id, team_id) VALUES ('u1', 't');
    INSERT INTO consent_events (home_id, category, purpose, action, actor_id, actor_role, channel, text_version, at)
      VALUES ('h1', 'emergency', 'alerts', 'grant', 'c', 'citizen', 'web', 'v', 5);
    INSERT INTO alerts (id, home_id, rule, category, severity, audience, state, opened_at, last_seen_at, evidence)
      VALUES ('a1', 'h1', 'fall', 'emergency', 'critical', 'care', 'open', 10, 10, '{"readings":[],"summary":"Fall"}');
    INSERT INTO alert_events (alert_id, home_id, type, alert, at) VALUES ('a1', 'h1', 'opened', '{}', 10);
    INSERT INTO audit (at, actor_id, actor_role, action, home_id, purpose) VALUES (1, 'u1', 'staff', 'home.create', 'h1', 'care');
  `);
  raw.close();
}

describe('a SQLite file made before the store moved to kysely', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('opens with its data, is brought to the current schema, and keeps refusing to rewrite history', async () => {
    const path = `${dir.path}/old.sqlite`;
    legacyFile(path);
    const store = await openStore({ sqlitePath: path });
    try {
      expect(await store.homes.get('h1')).toMatchObject({
        label: 'Home 1',
        settings: { a: 1 },
        testUntil: null,
      });
      expect(await store.users.byUsername('anna')).toMatchObject({
        teamIds: ['t'],
        mustChangePassword: false,
      });
      expect((await store.consent.listByHome('h1'))[0]).toMatchObject({ id: 1, basis: 'own_consent' });
      const alert = await store.alerts.get('a1');
      expect(alert).toMatchObject({ state: 'open', version: 0, escalationLevel: 0 });
      const ack = await store.alerts.update(
        { ...alert!, state: 'acknowledged', acknowledgedBy: 'u1', acknowledgedAt: 11 },
        'acknowledged',
      );
      expect(ack.seq).toBe(2);
      const next = await store.consent.append({
        homeId: 'h1',
        category: 'emergency',
        purpose: 'alerts',
        action: 'withdraw',
        actorId: 'c',
        actorRole: 'citizen',
        onBehalfOf: null,
        channel: 'web',
        textVersion: 'v',
        reference: null,
        basis: null,
        reviewDue: null,
        at: 12,
      });
      expect(next.id).toBe(2);
      // the login limits key made by the old schema is still the one in use
      await store.loginLimits.update('x', () => ({
        failures: 1,
        lockLevel: 0,
        lockedUntil: 0,
        lastFailureAt: 1,
      }));
      expect((await store.loginLimits.get('x'))?.failures).toBe(1);
    } finally {
      await store.close();
    }
    const raw = new Database(path);
    try {
      expect(raw.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
      expect(() => raw.prepare('DELETE FROM consent_events').run()).toThrow(/append-only/);
      expect(() => raw.prepare('UPDATE audit SET detail = 1').run()).toThrow(/append-only/);
    } finally {
      raw.close();
    }
  });

  it('a new SQLite file gets the same tables, columns and triggers as an old one brought up to date', async () => {
    const old = `${dir.path}/old.sqlite`;
    legacyFile(old);
    await (await openStore({ sqlitePath: old })).close();
    const fresh = `${dir.path}/new.sqlite`;
    await (await openStore({ sqlitePath: fresh })).close();
    const shape = (path: string) => {
      const raw = new Database(path, { readonly: true });
      try {
        const objects = raw
          .prepare(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all() as Array<{ type: string; name: string; tbl_name: string }>;
        return objects.map((o) => ({
          ...o,
          columns:
            o.type === 'table'
              ? (raw.prepare(`PRAGMA table_info(${o.name})`).all() as Array<Record<string, unknown>>).map(
                  (c) => `${c.name} ${c.type} ${c.notnull} ${c.dflt_value} ${c.pk}`,
                )
              : [],
        }));
      } finally {
        raw.close();
      }
    };
    expect(shape(fresh)).toEqual(shape(old));
  });
});

/** Fills a store through its repositories with a row in every table. */
async function fill(store: Store): Promise<void> {
  await store.teams.create({ id: 't', name: 'Team' });
  await store.homes.create({
    id: 'h1',
    label: 'Home',
    teamId: 't',
    timezone: 'Europe/Copenhagen',
    settings: {},
    test: false,
  });
  await store.devices.create({
    id: 'd1',
    homeId: 'h1',
    role: 'sensor',
    kinds: ['fall'],
    secretHash: 's',
    test: false,
  });
  await store.users.create({
    id: 'u1',
    username: 'anna',
    displayName: 'Anna',
    role: 'relative',
    passwordHash: 'h',
    homeId: null,
    teamIds: ['t'],
  });
  for (let i = 0; i < 3; i++)
    await store.consent.append({
      homeId: 'h1',
      category: 'emergency',
      purpose: 'alerts',
      action: i % 2 ? 'withdraw' : 'grant',
      actorId: 'c',
      actorRole: 'citizen',
      onBehalfOf: null,
      channel: 'web',
      textVersion: 'v',
      reference: null,
      basis: i % 2 ? null : 'own_consent',
      reviewDue: null,
      at: i,
    });
  const alert = {
    id: 'a1',
    homeId: 'h1',
    rule: 'fall' as const,
    category: 'emergency' as const,
    severity: 'critical' as const,
    audience: 'care' as const,
    state: 'open' as const,
    openedAt: 1,
    lastSeenAt: 1,
    repeats: 0,
    evidence: { readings: [], summary: 'Fall' },
    ...untouchedAlert,
  };
  await store.alerts.open(alert);
  await store.alerts.update({ ...(await store.alerts.get('a1'))!, escalationLevel: 1 }, 'escalated');
  await store.audit.append({
    at: 1,
    actorId: 'u1',
    actorRole: 'staff',
    action: 'x',
    homeId: 'h1',
    purpose: 'care',
    detail: null,
  });
  await store.powersOfAttorney.add({
    relativeUserId: 'u1',
    homeId: 'h1',
    verifiedBy: 's',
    verifiedAt: 1,
    reference: 'r',
  });
  await store.notifications.record({
    alertId: 'a1',
    at: 2,
    notifier: 'log',
    target: 'log',
    level: 1,
    attempt: 1,
    result: 'delivered',
    detail: null,
  });
  await store.erasures.record({
    homeId: 'h1',
    requestedBy: 'c',
    requesterRole: 'citizen',
    onBehalfOf: null,
    scope: 'readings',
    requestedAt: 1,
    completedAt: 2,
    result: 'erased',
    detail: null,
  });
  await store.sessions.create({ idHash: 'x', userId: 'u1', csrfToken: 'c', createdAt: 1, lastSeenAt: 2 });
  await store.loginLimits.update('anna', () => ({
    failures: 3,
    lockLevel: 1,
    lockedUntil: 9,
    lastFailureAt: 8,
  }));
  await store.responderCards.save({
    homeId: 'h1',
    addressLines: ['Vej 1'],
    postcode: '8000',
    city: 'Aarhus',
    keyBoxLocation: null,
    keyBoxCode: null,
    accessNotes: null,
    citizenPhone: null,
    contacts: [],
    updatedAt: 1,
    updatedBy: 'u1',
    updatedByRole: 'staff',
    detailsErasedAt: null,
  });
  await store.ruleState.save(
    [{ rule: 'low_battery', key: 'd1', homeId: 'h1', state: '{"low":true}', updatedAt: 1 }],
    [],
  );
  await store.escalationDeadlines.put({ alertId: 'a1', dueAt: 5, level: 1, reminders: 0, updatedAt: 1 });
  await store.resendWindows.save([{ deviceId: 'd1', state: 'AAAA', heardAt: 1 }], 0);
  await store.noticeOutbox.enqueue({
    id: 'n1',
    idempotencyKey: 'a1:level2:webhook:fallback',
    channel: 'webhook:fallback',
    alertId: 'a1',
    homeId: 'h1',
    payload: '{"alertId":"a1"}',
    createdAt: 7,
  });
  await store.nightRound.setTimes({ homeId: 'h1', times: ['23:00', '03:00'], updatedAt: 8, updatedBy: 'u1' });
  await store.nightRound.addLook({
    homeId: 'h1',
    roundAt: 9,
    lookedAt: 10,
    lookedBy: 'u1',
    lookedByRole: 'staff',
    mark: 'calm',
  });
  await store.nightRound.markEscalated('h1', 11, 12);
  await store.nightRound.saveLatest({ homeId: 'h1', kind: 'bed', value: 1, since: 13, lastAt: 14 });
}

describe('moving a SQLite store to PostgreSQL (tryghed migrate-store)', () => {
  let dir: ReturnType<typeof tempDir>;
  let url: string;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    dir = tempDir();
    ({ url, drop } = await createPostgresDatabase(inject('postgresUrl'), 'copy'));
  });
  afterEach(async () => {
    await drop();
    dir.remove();
  });

  it('copies every table with its ids, continues the id sequences, and refuses a target that has data', async () => {
    const path = `${dir.path}/tryghed.sqlite`;
    const source = await openStore({ sqlitePath: path });
    await fill(source);
    await source.close();

    const report = await copyStore({ sqlitePath: path }, { databaseUrl: url });
    const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
    expect(rows).toMatchObject({
      consent_events: 3,
      alert_events: 2,
      alerts: 1,
      team_members: 1,
      instance_keys: 1,
    });
    expect(report.tables.every((t) => t.rows > 0)).toBe(true);

    const copy = await openStore({ databaseUrl: url });
    try {
      expect(copy.kind).toBe('postgres');
      expect((await copy.consent.listAll()).map((e) => [e.id, e.action, e.basis])).toEqual([
        [1, 'grant', 'own_consent'],
        [2, 'withdraw', null],
        [3, 'grant', 'own_consent'],
      ]);
      expect(await copy.alerts.get('a1')).toMatchObject({ escalationLevel: 1, version: 1 });
      // a notice still waiting in the outbox is sent from the new store
      expect(await copy.noticeOutbox.byKey('a1:level2:webhook:fallback')).toMatchObject({
        id: 'n1',
        state: 'pending',
        createdAt: 7,
      });
      expect((await copy.alerts.eventsSince(0)).map((e) => [e.seq, e.type])).toEqual([
        [1, 'opened'],
        [2, 'escalated'],
      ]);
      // the sequences go on after the copied ids
      const next = await copy.audit.append({
        at: 2,
        actorId: 'u1',
        actorRole: 'staff',
        action: 'y',
        homeId: 'h1',
        purpose: 'care',
        detail: null,
      });
      expect(next.id).toBe(2);
      expect(
        (await copy.alerts.update({ ...(await copy.alerts.get('a1'))!, escalationLevel: 2 }, 'escalated'))
          .seq,
      ).toBe(3);
      // the same per-database key: login limits counted before the move still count
      expect(await copy.loginLimits.get('anna')).toMatchObject({ failures: 3, lockLevel: 1 });
      expect(await copy.users.byUsername('anna')).toMatchObject({ teamIds: ['t'] });
      expect((await copy.responderCards.get('h1'))?.city).toBe('Aarhus');
    } finally {
      await copy.close();
    }

    // a second copy into the same database is refused, and changes nothing there
    const again = await copyStore({ sqlitePath: path }, { databaseUrl: url }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'conflict', message: expect.stringContaining('not empty') });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM consent_events')).rows[0].n).toBe(3);
    } finally {
      await client.end();
    }
  });

  it('from the command line: tryghed migrate-store --from <sqlite> --to <url>', {
    timeout: 90_000,
  }, async () => {
    const path = `${dir.path}/tryghed.sqlite`;
    const source = await openStore({ sqlitePath: path });
    await fill(source);
    await source.close();
    const cli = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', 'migrate-store', ...args], {
        env: { ...process.env, LOG_LEVEL: 'silent' },
      }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
          code: e.code,
          out: e.stdout,
          err: e.stderr,
        }),
      );
    // the test server trusts any password; the command must never print it
    const withPassword = url.replace('tryghed@', 'tryghed:secret-pw@');
    const done = await cli(['--from', path, '--to', withPassword]);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toMatch(/consent_events\s+3/);
    expect(done.out).not.toContain('secret-pw');
    const refused = await cli(['--from', path, '--to', url]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/not empty/);
    const usage = await cli(['--from', path]);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--to/);
    const missing = await cli(['--from', `${dir.path}/nothing.sqlite`, '--to', url]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no such file/);
  });
});
