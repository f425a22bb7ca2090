import { randomBytes, randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureAdmin } from '../platform/bootstrap.ts';
import { ConfigError, loadConfig } from '../platform/config.ts';
import { ConsentRegistry } from '../services/consent/index.ts';
import { informationText, topics } from '../services/domain/index.ts';
import { NightRound } from '../services/night-round/index.ts';
import { People } from '../services/people/index.ts';
import { Registry } from '../services/registry/index.ts';
import {
  DeviceSecretHasher,
  hashSecret,
  parseDeviceSecretKey,
  silentLogger,
} from '../services/runtime/index.ts';
import { openStore } from '../services/store/index.ts';
import { ApiClient, type LiveClient } from './harness/api.ts';
import {
  eventually,
  type PlatformProcess,
  type PlatformProcessEnv,
  runPlatformProcess,
  startPlatformProcess,
  tempDir,
  uniqueDatabase,
} from './harness/index.ts';
import { createPostgresDatabase } from './harness/postgres.ts';
import { startReceiver } from './harness/receiver.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';
import { servicesFixture } from './harness/services.ts';

const METRICS_TOKEN = 'operator-token-0123456789';

/** an address from a process's start-up banner (`Dashboard:`, `Health:`, `MQTT:`), null when absent */
type Banner = { dashboard: string | null; health: string | null; mqtt: string | null };

function bannerUrl(p: PlatformProcess, label: string): string | null {
  return new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(p.output())?.[1] ?? null;
}

/** /readyz as the operator sees it (with the token): its status and which checks it ran */
async function readyz(baseUrl: string) {
  const res = await fetch(`${baseUrl}/readyz`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const body = (await res.json()) as { checks: Record<string, boolean> };
  return { status: res.status, checks: Object.keys(body.checks).sort() };
}

describe('ROLES', () => {
  const shared = { DATABASE_URL: 'postgres://u:p@db:5432/tryghed', REDIS_URL: 'redis://redis:6379' };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => p.env);
    }
  };

  it('defaults to every part (npm start: SQLite, no Redis), and reads a list in any order', () => {
    expect(loadConfig({}).roles).toEqual(['broker', 'ingest', 'rules', 'dashboard']);
    expect(loadConfig({ ROLES: 'all' }).roles).toEqual(['broker', 'ingest', 'rules', 'dashboard']);
    expect(loadConfig({ ...shared, ROLES: ' dashboard , rules' }).roles).toEqual(['rules', 'dashboard']);
    expect(loadConfig({ ...shared }, { ROLES: 'ingest,broker' }).roles).toEqual(['broker', 'ingest']);
  });

  it('names what is wrong: an unknown part, broker without ingest, a split without the shared store or Redis', () => {
    expect(problems({ ...shared, ROLES: 'rules,alarms' })).toEqual(['ROLES']);
    expect(problems({ ...shared, ROLES: 'broker' })).toEqual(['ROLES']);
    expect(problems({ ...shared, ROLES: 'ingest,rules' })).toEqual(['ROLES']);
    expect(problems({ ROLES: 'rules' })).toEqual(['DATABASE_URL', 'REDIS_URL']);
    expect(problems({ REDIS_URL: shared.REDIS_URL, ROLES: 'dashboard' })).toEqual(['DATABASE_URL']);
    // every part in one process needs neither
    expect(problems({ ROLES: 'broker,ingest,rules,dashboard' })).toEqual([]);
  });
});

describe('processes starting at once on a new database', () => {
  it('make one first administrator between them; none of them fails to start over it', async () => {
    const dir = tempDir();
    const store = await openStore({ sqlitePath: `${dir.path}/s.sqlite` });
    try {
      const people = new People(store);
      const config = loadConfig({ ADMIN_PASSWORD: 'admin-password-1' });
      const made = await Promise.all([1, 2, 3].map(() => ensureAdmin(people, config, silentLogger())));
      expect(made).toEqual([null, null, null]);
      expect((await people.allUsers()).filter((u) => u.role === 'admin')).toHaveLength(1);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});

describe('the night round in a process without the rules', () => {
  const MIN = 60_000;
  /** 22:00 in Copenhagen; the 23:00 round is an hour later */
  const EVENING = Date.UTC(2026, 0, 5, 21, 0);

  it('shows the round but raises no missed-round alert: only a rules process escalates it', async () => {
    const f = await servicesFixture(EVENING);
    const rounds: NightRound[] = [];
    try {
      await f.home('h1', ['bed', 'door']);
      await f.setConsent('h1', 'sleep', 'night_round');
      const load = async (escalate: boolean) => {
        const r = await NightRound.load({
          store: f.store,
          registry: f.registry,
          consent: f.consent,
          raise: (c) => f.alerts.raise(c),
          events: f.events,
          clock: f.clock,
          logger: silentLogger(),
          metrics: f.metrics,
          lookWithinMs: 15 * MIN,
        });
        r.start(30_000, { escalate });
        rounds.push(r);
        return r;
      };
      const dashboard = await load(false);
      await dashboard.setTimes('h1', ['23:00'], 'staff-1');
      const missed = async () =>
        (await f.store.alerts.list({ limit: 10 })).filter((a) => a.rule === 'night_round_missed');
      // nobody looks at the 23:00 round; 2 × 15 min later it is escalated, but not by this process
      await f.clock.advanceAsync(60 * MIN + 31 * MIN);
      f.events.emit('reading/accepted', f.reading('h1', 'bed', 1));
      const [home] = await dashboard.round(['h1']);
      expect(home?.status).toBe('escalated'); // as the list shows it: overdue
      expect(home?.summary.lines.find((l) => l.kind === 'bed')?.state).toBe('in_bed');
      expect(await missed()).toEqual([]);
      // a process with the rules raises it at its first tick
      await load(true);
      await f.clock.advanceAsync(30_000);
      await eventually(async () => (await missed()).length === 1, { what: 'the missed round raised' });
    } finally {
      for (const r of rounds) r.stop();
      await f.close();
    }
  });
});

/**
 * Issue 9 point 3: the parts in processes of their own (`tryghed start --roles`), on one real
 * PostgreSQL, one real Redis and the harness's influxd: broker+ingest, rules, dashboard.
 */
describe('tryghed start --roles: broker+ingest, rules and dashboard in three processes', () => {
  const dirs = [tempDir(), tempDir(), tempDir(), tempDir()];
  const key = randomBytes(32).toString('base64');
  let redis: LocalRedis;
  let db: { url: string; drop: () => Promise<void> };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const children: PlatformProcess[] = [];
  const secrets = new Map<string, string>();
  let env: (dir: string, more?: Record<string, string>) => PlatformProcessEnv;

  beforeAll(async () => {
    redis = await startRedis();
    db = await createPostgresDatabase(inject('postgresUrl'), 'roles');
    receiver = await startReceiver();
    const influxDatabase = uniqueDatabase('roles');
    env = (dir, more = {}) => ({
      dataDir: dir,
      database: influxDatabase,
      store: { databaseUrl: db.url },
      redisUrl: redis.url,
      metricsToken: METRICS_TOKEN,
      env: {
        DEVICE_SECRET_KEY: key,
        INGEST_FLUSH_MS: '20',
        ESCALATE_CRITICAL_S: '10',
        ESCALATION_RENOTIFY_MIN_S: '10',
        TEAM_WEBHOOKS: JSON.stringify({ t: `${receiver.url}/team` }),
        FALLBACK_WEBHOOK_URL: `${receiver.url}/fallback`,
        ...more,
      },
    });
    // two homes with a fall sensor each, consent, a staff member and the administrator, in the
    // shared store (migrated here, before the three processes start at once)
    const store = await openStore({ databaseUrl: db.url });
    try {
      const registry = await Registry.load(store, {
        deviceSecrets: new DeviceSecretHasher(parseDeviceSecretKey(key)!),
      });
      const consent = await ConsentRegistry.load(store, registry, silentLogger());
      await store.teams.create({ id: 't', name: 'T' });
      for (const homeId of ['h1', 'h2']) {
        await registry.createHome({ id: homeId, label: homeId.toUpperCase(), teamId: 't' });
        const { secret } = await registry.provisionDevice({ id: `fall-${homeId}`, homeId, kinds: ['fall'] });
        secrets.set(homeId, secret);
        for (const purpose of ['alerts', 'history'] as const)
          await consent.change(
            homeId,
            {
              category: 'emergency',
              purpose,
              action: 'grant',
              channel: 'web',
              textVersion: informationText('emergency', purpose).version,
            },
            { id: 'c', role: 'citizen', homeId },
          );
      }
      for (const [username, role, teamIds] of [
        ['staff-t', 'staff', ['t']],
        ['admin', 'admin', []],
      ] as const)
        await store.users.create({
          id: randomUUID(),
          username,
          displayName: username,
          role,
          passwordHash: await hashSecret('password-123', 'password'),
          teamIds: [...teamIds],
          homeId: null,
        });
    } finally {
      await store.close();
    }
  }, 60_000);
  afterAll(async () => {
    for (const c of children) await c.close();
    await receiver?.close();
    await redis?.close();
    await db?.drop();
    for (const d of dirs) d.remove();
  });

  it('refuses a broker without ingest, and split roles without the shared store or Redis, naming the setting', async () => {
    // both spellings of the option: `--roles x` and `--roles=x`
    const refused = (more: Record<string, string>, ...roles: string[]) =>
      runPlatformProcess({ ...env(dirs[3]!.path, more), args: ['start', ...roles] });
    const [alone, noRedis, noStore, unknown] = await Promise.all([
      refused({}, '--roles', 'broker'),
      refused({ REDIS_URL: '' }, '--roles', 'rules'),
      refused({ DATABASE_URL: '' }, '--roles=dashboard'),
      refused({}, '--roles', 'rules,alarms'),
    ]);
    expect(alone.code).toBe(1);
    expect(alone.out).toMatch(/ROLES: broker and ingest run together/);
    expect(noRedis.code).toBe(1);
    expect(noRedis.out).toMatch(/REDIS_URL: required when ROLES is not all/);
    expect(noStore.code).toBe(1);
    expect(noStore.out).toMatch(/DATABASE_URL: required when ROLES is not all/);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toMatch(/ROLES: must be all or a comma list of broker, ingest, rules, dashboard/);
  }, 60_000);

  it('a fall pressed at the broker process is raised by the rules process and shown on the dashboard process; an acknowledgement there stops its escalation; only the rules process holds leases', async () => {
    const start = (dir: string, roles: string, more: Record<string, string> = {}) =>
      startPlatformProcess({ ...env(dir, more), args: ['start', `--roles=${roles}`] }).then((p) => {
        children.push(p);
        return p;
      });
    const [edge, rules, board] = await Promise.all([
      start(dirs[0]!.path, 'broker,ingest'),
      // the rules process links its notices to the dashboard at the address people open
      start(dirs[1]!.path, 'rules', { PUBLIC_URL: 'http://dashboard.example' }),
      start(dirs[2]!.path, 'dashboard'),
    ]);
    const [e, r, b] = [edge, rules, board].map((p) => ({
      dashboard: bannerUrl(p, 'Dashboard'),
      health: bannerUrl(p, 'Health')?.replace(/\/readyz$/, '') ?? null,
      mqtt: bannerUrl(p, 'MQTT'),
    })) as [Banner, Banner, Banner];
    // each serves what it runs: MQTT at the edge, the dashboard on its own, health everywhere
    expect(e).toMatchObject({ dashboard: null, mqtt: expect.any(String), health: expect.any(String) });
    expect(r).toMatchObject({ dashboard: null, mqtt: null, health: expect.any(String) });
    expect(b).toMatchObject({ dashboard: expect.any(String), mqtt: null, health: null });

    // /readyz judges only the parts each process runs
    expect(await readyz(e.health!)).toEqual({
      status: 200,
      checks: ['influxdb', 'ingest', 'redis', 'store'],
    });
    expect(await readyz(r.health!)).toEqual({ status: 200, checks: ['redis', 'store'] });
    expect(await readyz(b.dashboard!)).toEqual({ status: 200, checks: ['influxdb', 'redis', 'store'] });
    expect((await fetch(`${r.health}/api/alerts`)).status).toBe(404);

    // every shard is held by the rules process; the others are not even members
    const store = await openStore({ databaseUrl: db.url });
    try {
      await eventually(
        async () => {
          const view = await store.ruleLeases.view();
          return (
            view.members.length === 1 &&
            view.members[0]!.owner.includes(`-${rules.child.pid}-`) &&
            view.shards.length === 64 &&
            view.shards.every((s) => s.owner === view.members[0]!.owner)
          );
        },
        { what: 'the rules process holding every shard, alone', timeoutMs: 15_000 },
      );
    } finally {
      await store.close();
    }

    const staff = await ApiClient.login(b.dashboard!, 'staff-t', 'password-123');
    const feed: LiveClient = staff.live();
    try {
      await feed.opened;
      await eventually(() => feed.messages.some((m) => m.type === 'platform'), { what: 'the feed' });
      const press = async (homeId: string) => {
        const sensor = await mqtt.connectAsync(e.mqtt!, {
          clientId: `fall-${homeId}`,
          username: `fall-${homeId}`,
          password: secrets.get(homeId)!,
          reconnectPeriod: 0,
        });
        try {
          await sensor.publishAsync(
            topics.readings(homeId, `fall-${homeId}`),
            JSON.stringify({ kind: 'fall', value: 1, ts: Date.now(), seq: 1 }),
            { qos: 1 },
          );
        } finally {
          await sensor.endAsync();
        }
      };
      await press('h1');
      await press('h2');
      const opened = (homeId: string) =>
        eventually(
          () =>
            feed
              .alerts()
              .find((m) => m.event === 'opened' && m.alert?.homeId === homeId && m.alert.rule === 'fall')
              ?.alert,
          { what: `the fall in ${homeId} on the board of the dashboard process`, timeoutMs: 15_000 },
        );
      const [first, second] = [await opened('h1'), await opened('h2')];
      expect(first).toMatchObject({ homeId: 'h1', rule: 'fall', state: 'open' });

      // staff take the first on at the dashboard process; the board says so
      await staff.ok('POST', `/api/alerts/${first.id}/acknowledge`);
      const acknowledgedAt = performance.now();
      await eventually(
        () => feed.alerts().some((m) => m.alert?.id === first.id && m.alert.state === 'acknowledged'),
        { what: 'the acknowledgement on the board' },
      );
      // The rules process goes on escalating the one nobody took on (its deadline, or a reminder,
      // 10 s after it opened), and nothing more of the one taken on at the other process (both
      // opened within the same second). What was sent before the acknowledgement (at once, had the
      // rules process not yet heard through Redis that the board is watched) may arrive just after
      // it: 3 s margin.
      const later = (alertId: string) =>
        receiver.received.filter((n) => n.body.alertId === alertId && n.at > acknowledgedAt + 3000);
      await eventually(() => later(second.id).length > 0, {
        what: 'the unacknowledged fall escalated further',
        timeoutMs: 25_000,
      });
      await new Promise((r) => setTimeout(r, 1500));
      expect(later(first.id)).toEqual([]);
    } finally {
      await feed.close();
    }
    for (const c of await Promise.all([edge, rules, board].map((c) => c.stop()))) expect(c.code).toBe(0);
  }, 180_000);
});
