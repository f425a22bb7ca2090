import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentRegistry } from '../services/consent/index.ts';
import { informationText } from '../services/domain/index.ts';
import { Registry } from '../services/registry/index.ts';
import { silentLogger, TryghedError } from '../services/runtime/index.ts';
import { openStore, type Store, type StoreLocation } from '../services/store/index.ts';
import { LEGACY_SQLITE_MIGRATIONS } from './fixtures/legacy-sqlite-schema.ts';
import { tempDir } from './harness/index.ts';
import { ENGINES, storeLocation } from './harness/store.ts';

describe.each(ENGINES)('store, registry and consent registry on a real %s database', (engine) => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let location: StoreLocation;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    dir = tempDir();
    ({ location, drop } = await storeLocation(engine, dir.path, 't'));
    store = await openStore(location);
    await store.teams.create({ id: 'team-a', name: 'Team A' });
  });
  afterEach(async () => {
    await store.close();
    await drop();
    dir.remove();
  });

  it('provisions a device whose secret is stored only as a hash that verifies', async () => {
    const registry = await Registry.load(store);
    await registry.createHome({ id: 'h1', label: 'Home 1', teamId: 'team-a' });
    const { device, secret } = await registry.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] });
    const stored = await store.devices.get('d1');
    expect(stored?.secretHash).not.toContain(secret);
    expect(device.secretHash).toMatch(/^hmac-sha256\$/);
    expect(await registry.checkDeviceSecret('d1', secret)).toMatchObject({ ok: true });
    expect(await registry.checkDeviceSecret('d1', `${secret}x`)).toMatchObject({ ok: false });
    // a fresh registry sees what the first one wrote
    expect((await Registry.load(store)).device('d1')?.homeId).toBe('h1');
  });

  it("finds a team's homes and a home's devices by index, also after a home changes team", async () => {
    await store.teams.create({ id: 'team-b', name: 'Team B' });
    const registry = await Registry.load(store);
    await registry.createHome({ id: 'h1', label: 'Home 1', teamId: 'team-a' });
    await registry.createHome({ id: 'h2', label: 'Home 2', teamId: 'team-b' });
    await registry.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] });
    await registry.provisionDevice({ id: 'd2', homeId: 'h1', kinds: ['fall'], reportIntervalS: 60 });
    expect(registry.homesOfTeams(['team-a']).map((h) => h.id)).toEqual(['h1']);
    await registry.updateHome('h1', { teamId: 'team-b' });
    expect(registry.homesOfTeams(['team-a'])).toEqual([]);
    expect(
      registry
        .homesOfTeams(['team-b'])
        .map((h) => h.id)
        .sort(),
    ).toEqual(['h1', 'h2']);
    const reloaded = await Registry.load(store);
    expect(
      reloaded
        .homesOfTeams(['team-b'])
        .map((h) => h.id)
        .sort(),
    ).toEqual(['h1', 'h2']);
    expect(reloaded.devicesOfHome('h1').map((d) => [d.id, d.reportIntervalS])).toEqual([
      ['d1', 300],
      ['d2', 60],
    ]);
  });

  it('answers an update of a home or device that is not there with a typed not-found error', async () => {
    const registry = await Registry.load(store);
    await registry.createHome({ id: 'h1', label: 'Home 1', teamId: 'team-a' });
    // positive control: the same update of a home that is there goes through
    await store.homes.update('h1', { label: 'Home one' });
    expect((await store.homes.get('h1'))?.label).toBe('Home one');
    const missingHome = await store.homes.update('h-gone', { label: 'x' }).catch((e: unknown) => e);
    expect(missingHome).toBeInstanceOf(TryghedError);
    expect(missingHome).toMatchObject({ code: 'not_found', status: 404, message: 'home h-gone not found' });
    const missingDevice = await store.devices.update('d-gone', { test: true }).catch((e: unknown) => e);
    expect(missingDevice).toBeInstanceOf(TryghedError);
    expect(missingDevice).toMatchObject({ code: 'not_found', message: 'device d-gone not found' });
  });

  it('refuses a home id that could break a topic', async () => {
    const registry = await Registry.load(store);
    await expect(registry.createHome({ id: 'a/#', label: 'x', teamId: 'team-a' })).rejects.toThrow();
  });

  it('derives consent from append-only events; withdrawal wins and survives a reload', async () => {
    const registry = await Registry.load(store);
    await registry.createHome({ id: 'h1', label: 'Home 1', teamId: 'team-a' });
    const consent = await ConsentRegistry.load(store, registry, silentLogger());
    expect(consent.allows('h1', 'emergency', 'alerts')).toBe(false);
    expect(consent.allows('h1', 'technical', 'history')).toBe(true);
    const actor = { id: 'u1', role: 'citizen', homeId: 'h1' };
    const base = { channel: 'web', textVersion: informationText('emergency', 'alerts').version } as const;
    await consent.change('h1', { ...base, category: 'emergency', purpose: 'alerts', action: 'grant' }, actor);
    expect(consent.allows('h1', 'emergency', 'alerts')).toBe(true);
    expect(consent.allows('h1', 'emergency', 'history')).toBe(false);
    await consent.change(
      'h1',
      { ...base, category: 'emergency', purpose: 'alerts', action: 'withdraw' },
      actor,
    );
    expect(consent.allows('h1', 'emergency', 'alerts')).toBe(false);
    const reloaded = await ConsentRegistry.load(store, registry, silentLogger());
    expect(reloaded.allows('h1', 'emergency', 'alerts')).toBe(false);
    const history = await reloaded.history('h1');
    expect(history.map((e) => e.action)).toEqual(['grant', 'withdraw']);
    expect(history[0]).toMatchObject({ actorId: 'u1', channel: 'web', textVersion: base.textVersion });
  });

  it('the database itself refuses to rewrite consent history', async () => {
    const registry = await Registry.load(store);
    await registry.createHome({ id: 'h1', label: 'Home 1', teamId: 'team-a' });
    const consent = await ConsentRegistry.load(store, registry, silentLogger());
    await consent.change(
      'h1',
      {
        category: 'door',
        purpose: 'alerts',
        action: 'grant',
        channel: 'web',
        textVersion: informationText('door', 'alerts').version,
      },
      { id: 'u1', role: 'citizen', homeId: 'h1' },
    );
    // reach past the repository on purpose: even raw SQL may not edit or delete consent events
    if ('sqlitePath' in location) {
      const Database = (await import('better-sqlite3')).default;
      const raw = new Database(location.sqlitePath);
      try {
        expect(() => raw.prepare("UPDATE consent_events SET action = 'withdraw'").run()).toThrow(
          /append-only/,
        );
        expect(() => raw.prepare('DELETE FROM consent_events').run()).toThrow(/append-only/);
      } finally {
        raw.close();
      }
    } else {
      const raw = new pg.Client({ connectionString: location.databaseUrl });
      await raw.connect();
      try {
        await expect(raw.query("UPDATE consent_events SET action = 'withdraw'")).rejects.toThrow(
          /append-only/,
        );
        await expect(raw.query('DELETE FROM consent_events')).rejects.toThrow(/append-only/);
        await expect(raw.query('TRUNCATE consent_events CASCADE')).rejects.toThrow(/append-only/);
      } finally {
        await raw.end();
      }
    }
    expect((await store.consent.listByHome('h1')).map((e) => e.action)).toEqual(['grant']);
  });
});

describe('migration to test mode', () => {
  const dir = tempDir();
  afterEach(() => dir.remove());

  it("turns a citizen's home or device a technician marked as test for good back into a real one; test homes stay", async () => {
    const MIGRATIONS = LEGACY_SQLITE_MIGRATIONS;
    const at = MIGRATIONS.findIndex((m) => m.includes('test_until'));
    expect(at).toBeGreaterThan(0);
    const path = `${dir.path}/old.sqlite`;
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(path);
    raw.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const sql of MIGRATIONS.slice(0, at)) raw.exec(sql);
    raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(at);
    raw.exec(`
      INSERT INTO teams (id, name) VALUES ('t', 'T');
      INSERT INTO homes (id, label, team_id, test, created_at) VALUES
        ('marked', 'Borger', 't', 1, 0), ('sim', 'Simulator', 't', 1, 0), ('plain', 'Borger 2', 't', 0, 0);
      INSERT INTO devices (id, home_id, role, kinds, secret_hash, test, created_at) VALUES
        ('pendant', 'plain', 'sensor', '["alarm_button"]', 'x', 1, 0),
        ('sim-dev', 'sim', 'sensor', '["fall"]', 'x', 1, 0);
      INSERT INTO audit (at, actor_id, actor_role, action, home_id, purpose, detail) VALUES
        (1, 'tech', 'technician', 'home.create', 'marked', 'provisioning', NULL),
        (2, 'tech', 'technician', 'home.update', 'marked', 'provisioning', 'test=true'),
        (3, 'tech', 'technician', 'home.create', 'sim', 'provisioning', NULL);
    `);
    raw.close();
    const migrated = await openStore({ sqlitePath: path });
    try {
      expect((await migrated.homes.get('marked'))?.test).toBe(false);
      expect((await migrated.homes.get('sim'))?.test).toBe(true);
      expect(await migrated.homes.get('plain')).toMatchObject({ test: false, testUntil: null });
      expect((await migrated.devices.get('pendant'))?.test).toBe(false);
      expect((await migrated.devices.get('sim-dev'))?.test).toBe(true);
    } finally {
      await migrated.close();
    }
  });
});
