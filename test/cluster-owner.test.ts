import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { type AlertCandidate, informationText, topics } from '../services/domain/index.ts';
import { ApiClient, LiveClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';
import { type Receiver, startReceiver } from './harness/receiver.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * Two platform processes (in this test process) on one PostgreSQL and one Redis, each owning half
 * of the homes by shard lease: what the home's owner does must not depend on which process staff
 * or a citizen happen to reach through the load balancer.
 */
describe("the home's owner hears the other processes", () => {
  const dirs = [tempDir(), tempDir()];
  let redis: LocalRedis;
  let db: { url: string; drop: () => Promise<void> };
  let fallback: Receiver;
  let a: Platform;
  let b: Platform;
  let staff: ApiClient;
  /** homes whose shard A holds, and B holds */
  const ofA: string[] = [];
  const ofB: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    db = await createPostgresDatabase(inject('postgresUrl'), 'owner');
    fallback = await startReceiver();
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
      FALLBACK_WEBHOOK_URL: `${fallback.url}/fallback`,
      // no escalation by time during the test: only "nobody watching" may call the fallback
      ESCALATE_CRITICAL_S: '3600',
    };
    a = await startTestPlatform({ dataDir: dirs[0]!.path, database: uniqueDatabase('owner'), env });
    b = await startTestPlatform({ dataDir: dirs[1]!.path, database: uniqueDatabase('owner'), env });
    // the fair share settles: 32 shards each
    await eventually(
      () => a.ownership!.held().length === 32 && b.ownership!.held().length === 32 && a.ownership!.owns('x'),
      { what: 'the shards shared out', timeoutMs: 30_000 },
    );
    for (let i = 0; ofA.length < 3 || ofB.length < 3; i++) {
      const id = `home-${i}`;
      if (a.ownership!.owns(id) && ofA.length < 3) ofA.push(id);
      else if (b.ownership!.owns(id) && ofB.length < 3) ofB.push(id);
    }
    await a.store.teams.create({ id: 't', name: 'T' });
    for (const id of [...ofA, ...ofB]) {
      await a.registry.createHome({ id, label: id, teamId: 't' });
      for (const category of ['emergency', 'environment'] as const)
        await a.consent.change(
          id,
          {
            category,
            purpose: 'alerts',
            action: 'grant',
            channel: 'web',
            textVersion: informationText(category, 'alerts').version,
          },
          { id: 'c', role: 'citizen', homeId: id },
        );
    }
    for (const id of [...ofA, ...ofB])
      await eventually(() => b.consent.allows(id, 'emergency', 'alerts'), { what: `consent of ${id} on B` });
    const admin = await ApiClient.login(a.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/users', {
      username: 'staff-t',
      password: 'password-123',
      displayName: 'Staff',
      role: 'staff',
      teamIds: ['t'],
    });
    staff = await ApiClient.login(a.dashboardUrl, 'staff-t', 'password-123');
    await admin.ok('POST', '/api/users', {
      username: 'citizen-1',
      password: 'password-123',
      displayName: 'Astrid',
      role: 'citizen',
      homeId: ofA[1],
    });
  }, 90_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await fallback?.close();
    await redis?.close();
    await db?.drop();
    for (const d of dirs) d.remove();
  });

  const fall = (homeId: string): AlertCandidate => ({
    homeId,
    rule: 'fall',
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    at: Date.now(),
    evidence: { readings: [], summary: 'fall' },
  });
  const fallbackFor = (alertId: string) => fallback.received.filter((r) => r.body.alertId === alertId);

  it("staff watching on B keep A's critical alert off the fallback; when they leave, A calls the fallback", async () => {
    const home = ofA[0]!;
    const feed = new LiveClient(b.dashboardUrl, staff.sessionCookie);
    try {
      await feed.opened;
      expect(b.dashboard.watchingTeams().has('t')).toBe(true);
      // A hears of B's watchers through Redis (nobody watches on A itself)
      await eventually(() => a.presence!.watchingTeams().has('t'), { what: "B's watchers known at A" });
      expect(a.dashboard.watchingTeams().has('t')).toBe(false);
      expect(a.health.degraded()).toEqual([]);

      const alert = (await a.alerts.raise(fall(home)))!;
      expect(a.escalation.armedAlerts().map((x) => x.id)).toContain(alert.id);
      expect(b.escalation.armedAlerts().map((x) => x.id)).not.toContain(alert.id);
      // three escalation ticks and more: nobody of the team is "unwatched" while B's board is open
      await new Promise((r) => setTimeout(r, 3000));
      await a.escalation.idle();
      expect(fallbackFor(alert.id)).toEqual([]);
      expect((await a.alerts.get(alert.id))?.escalationLevel).toBe(0);

      // the board on B closes: A sends the alert to the fallback within two beats and a tick
      await feed.close();
      const [notice] = await eventually(() => fallbackFor(alert.id).length > 0 && fallbackFor(alert.id), {
        what: 'the fallback called by A',
        timeoutMs: 15_000,
      });
      expect(notice!.body).toMatchObject({ homeId: home, level: 2, reason: 'unwatched' });
    } finally {
      await feed.close();
    }
  });

  it("an erasure made through B is forgotten by the rules of A, the home's owner", async () => {
    const home = ofA[1]!;
    await a.registry.provisionDevice({ id: 'env-1', homeId: home, kinds: ['temperature', 'battery'] });
    await eventually(() => b.registry.device('env-1') !== undefined, { what: 'the device known at B' });
    let seq = 0;
    const send = (kind: 'temperature' | 'battery', value: number) =>
      a.ingest.handleReadings(
        home,
        'env-1',
        Buffer.from(JSON.stringify({ kind, value, ts: Date.now(), seq: ++seq })),
      );
    // a cold spell under way and a low battery already reported, in A's rules
    await send('temperature', 14);
    await send('battery', 12);
    const erasedRules = ['low_battery', 'temperature'];
    const held = () =>
      a.rules
        .stateOf(home)
        .map((s) => s.rule)
        .filter((r) => erasedRules.includes(r));
    await eventually(() => held().length === 2, { what: "the home's rule state in A" });
    const rows = async () => {
      const out: string[] = [];
      for await (const page of a.store.ruleState.all())
        for (const r of page) if (r.homeId === home && erasedRules.includes(r.rule)) out.push(r.rule);
      return out;
    };
    await eventually(async () => (await rows()).length === 2, { what: "the home's rule state saved" });

    const citizen = await ApiClient.login(b.dashboardUrl, 'citizen-1', 'password-123');
    const { request } = await citizen.ok<{ request: { result: string } }>(
      'POST',
      `/api/homes/${home}/erasure-requests`,
      {},
    );
    expect(request.result).toBe('erased');
    // the owner forgets it: nothing of the spell or the battery in A's memory …
    await eventually(() => held().length === 0, { what: "the home's rule state forgotten in A" });
    // … nor written back by A's next saves (it ticks every 50 ms)
    await new Promise((r) => setTimeout(r, 500));
    await a.rules.saveState();
    expect(await rows()).toEqual([]);
    // the battery, still low, is judged afresh by the owner: reported again on its open alert
    const battery = (await a.alerts.list({ limit: 100 })).find(
      (x) => x.homeId === home && x.rule === 'low_battery',
    );
    expect(battery).toMatchObject({ repeats: 0 });
    await send('battery', 12);
    await eventually(async () => (await a.alerts.get(battery!.id))?.repeats === 1, {
      what: 'the low battery reported again',
    });
  });

  it("a device's reported status received by A's broker is shown by B's device list", async () => {
    const home = ofB[0]!;
    const { secret } = await a.registry.provisionDevice({ id: 'door-st', homeId: home, kinds: ['door'] });
    await eventually(() => b.registry.device('door-st') !== undefined, { what: 'the device known at B' });
    const onB = await ApiClient.login(b.dashboardUrl, 'staff-t', 'password-123');
    const statusOnB = async () =>
      (
        await onB.ok<{ devices: Array<{ id: string; status: string }> }>('GET', `/api/homes/${home}/devices`)
      ).devices.find((d) => d.id === 'door-st')?.status;
    expect(await statusOnB()).toBe('never_seen');
    // the device tells A's broker it is going offline (as its gateway relays zigbee2mqtt's availability)
    const device = await mqtt.connectAsync(a.mqttUrl, {
      clientId: 'door-st',
      username: 'door-st',
      password: secret,
      reconnectPeriod: 0,
    });
    try {
      await device.publishAsync(topics.status(home, 'door-st'), JSON.stringify({ online: false }), {
        qos: 1,
        retain: true,
      });
    } finally {
      await device.endAsync();
    }
    await eventually(async () => (await statusOnB()) === 'offline', {
      what: "the offline report shown at B's dashboard",
    });
  });
});
