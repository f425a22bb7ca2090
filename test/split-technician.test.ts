import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import { informationText, topics } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { createPostgresDatabase } from './harness/postgres.ts';
import { type LocalRedis, startRedis } from './harness/redis.ts';

/**
 * A technician at a municipality running split roles reaches a dashboard-only process: what they
 * do there that needs the broker is carried out by a broker+ingest process over the cluster link
 * (one PostgreSQL, one Redis, the harness's influxd; both platforms in this test process).
 */
describe('a technician at a dashboard-only process', () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  let redis: LocalRedis;
  let db: { url: string; drop: () => Promise<void> };
  let edge: Platform;
  /** a second broker+ingest process: the reading must still be run once */
  let edge2: Platform;
  let board: Platform;
  let admin: ApiClient;

  beforeAll(async () => {
    redis = await startRedis();
    db = await createPostgresDatabase(inject('postgresUrl'), 'split');
    const database = uniqueDatabase('split');
    const env = {
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    edge = await startTestPlatform({
      dataDir: dirs[0]!.path,
      database,
      env: { ...env, ROLES: 'broker,ingest,rules' },
    });
    edge2 = await startTestPlatform({
      dataDir: dirs[2]!.path,
      database,
      env: { ...env, ROLES: 'broker,ingest' },
    });
    board = await startTestPlatform({
      dataDir: dirs[1]!.path,
      database,
      // the address gateways use, as the operator configures it (here: the broker process itself)
      env: { ...env, ROLES: 'dashboard', MQTT_PUBLIC_URLS: edge.mqttUrl },
    });
    expect(board.roles).toEqual(['dashboard']);
    await edge.store.teams.create({ id: 't', name: 'T' });
    for (const homeId of ['h1', 'h2']) {
      await edge.registry.createHome({ id: homeId, label: homeId, teamId: 't' });
      await edge.registry.provisionDevice({ id: `fall-${homeId}`, homeId, kinds: ['fall'] });
    }
    // h1 consents to fall alerts and their history; h2 to nothing
    for (const purpose of ['alerts', 'history'] as const)
      await edge.consent.change(
        'h1',
        {
          category: 'emergency',
          purpose,
          action: 'grant',
          channel: 'web',
          textVersion: informationText('emergency', purpose).version,
        },
        { id: 'c', role: 'citizen', homeId: 'h1' },
      );
    await eventually(
      () =>
        board.registry.device('fall-h2') !== undefined &&
        board.consent.allows('h1', 'emergency', 'alerts') &&
        board.consent.allows('h1', 'emergency', 'history'),
      { what: 'the homes, devices and consent known at the dashboard process' },
    );
    admin = await ApiClient.login(board.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
  }, 90_000);
  afterAll(async () => {
    await board?.close();
    await edge2?.close();
    await edge?.close();
    await redis?.close();
    await db?.drop();
    for (const d of dirs) d.remove();
  });

  it("sends a test reading through one broker process's ingest: a test alert raised, the outcome said", async () => {
    const res = await admin.request('POST', '/api/devices/fall-h1/test-reading', { kind: 'fall', value: 1 });
    expect(res.status).toBe(200);
    const body = res.body as {
      reading: { deviceId: string; test: boolean };
      stored: boolean;
      evaluated: boolean;
      outcome: { reason: string; alert: { id: string; test: boolean } | null };
    };
    expect(body).toMatchObject({
      reading: { deviceId: 'fall-h1', homeId: 'h1', kind: 'fall', test: true },
      stored: true,
      evaluated: true,
      outcome: { reason: 'raised', alert: { test: true } },
    });
    // the alert is really there, a test alert, raised by the rules of the other process
    const alert = await board.alerts.get(body.outcome.alert!.id);
    expect(alert).toMatchObject({ homeId: 'h1', rule: 'fall', test: true });
    // two broker+ingest processes heard the request; one ran it (a second run would count a repeat)
    await new Promise((r) => setTimeout(r, 1000));
    expect(await board.alerts.get(alert!.id)).toMatchObject({ repeats: 0 });
  });

  it("is refused as a device's would be where the citizen has not consented: nothing raised", async () => {
    const res = await admin.request('POST', '/api/devices/fall-h2/test-reading', { kind: 'fall', value: 1 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: 'no_consent' });
    expect((await board.alerts.list({ limit: 100 })).filter((a) => a.homeId === 'h2')).toEqual([]);
  });

  it("shows the broker connection and pairs a gateway for a home made at the dashboard process: the bundle names MQTT_PUBLIC_URLS, the broker process takes its secret and has the home's scope waiting", async () => {
    // the broker connection page: the configured addresses (no certificate configured here)
    expect(await admin.ok('GET', '/api/broker/connection')).toEqual({
      endpoints: { plain: edge.mqttUrl, tls: null, webSocketPath: null, webSocket: null },
      tls: null,
    });
    await board.registry.createHome({ id: 'h3', label: 'h3', teamId: 't' });
    const { bundle } = await admin.ok<{
      bundle: { platformUrls: string[]; gatewayId: string; secret: string; ca: string | null };
    }>('POST', '/api/homes/h3/gateway-pairing', {});
    expect(bundle).toMatchObject({ platformUrls: [edge.mqttUrl], gatewayId: 'h3-gw', ca: null });
    await eventually(() => edge.registry.device('h3-gw') !== undefined, {
      what: 'the gateway known at the broker',
    });
    const gw = await mqtt.connectAsync(edge.mqttUrl, {
      clientId: 'h3-gw',
      username: 'h3-gw',
      password: bundle.secret,
      reconnectPeriod: 0,
    });
    try {
      const config = new Promise<Buffer>((resolve) => gw.once('message', (_t, payload) => resolve(payload)));
      await gw.subscribeAsync(topics.config('h3'), { qos: 1 });
      const { consent } = JSON.parse((await config).toString()) as {
        consent: Record<string, { alerts: boolean }>;
      };
      expect(Object.values(consent).every((c) => c.alerts === false)).toBe(true);
    } finally {
      await gw.endAsync();
    }
  });
});
