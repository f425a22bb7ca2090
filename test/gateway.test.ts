import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HomeGateway, isAlarm, Outbox, runGatewayCli } from '../gateway/index.ts';
import {
  categoryOf,
  emptyScope,
  type GatewayScope,
  gatewayScope,
  topics,
  type WireReading,
} from '../services/domain/index.ts';
import { type Clock, ManualClock, Metrics, silentLogger } from '../services/runtime/index.ts';
import { eventually, freePort, tempDir } from './harness/index.ts';

function fullScope(): GatewayScope {
  const scope = gatewayScope(emptyScope());
  for (const c of Object.keys(scope) as Array<keyof GatewayScope>)
    scope[c] = { alerts: true, history: true, night_round: false };
  return scope;
}

/** A plain aedes with a password check: the gateway's view of any MQTT broker. */
async function plainBroker(port: number) {
  const aedes = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const ok = username === 'gw-1' && password?.toString() === 'gw-secret';
      done(ok ? null : Object.assign(new Error('bad'), { returnCode: 4 as const }), ok);
    },
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    aedes,
    close: () => new Promise<void>((r) => aedes.close(() => server.close(() => r()))),
  };
}

describe('home gateway on a real aedes', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const publishRetained = async (url: string, config: unknown) => {
    const c = await mqtt.connectAsync(url, {
      username: 'gw-1',
      password: 'gw-secret',
      clientId: `platform-${Math.random()}`,
    });
    await c.publishAsync(topics.config('h1'), JSON.stringify(config), { qos: 1, retain: true });
    await c.endAsync();
  };

  const setup = async (
    options: {
      outboxLimit?: number;
      outboxPath?: string;
      scope?: GatewayScope | null;
      heartbeatMs?: number;
      clock?: Clock;
    } = {},
  ) => {
    const { scope = fullScope(), ...gatewayOptions } = options;
    const port = await freePort();
    let broker = await plainBroker(port);
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${port}`;
    if (scope) await publishRetained(url, { consent: scope, at: 1 });
    const metrics = new Metrics();
    const gateway = new HomeGateway({
      brokerUrl: url,
      homeId: 'h1',
      gatewayId: 'gw-1',
      secret: 'gw-secret',
      logger: silentLogger(),
      metrics,
      ...gatewayOptions,
    });
    await gateway.start();
    cleanups.push(() => gateway.stop());
    const received: Array<{ topic: string; payload: unknown }> = [];
    let watcher: MqttClient | null = null;
    const watch = async () => {
      // one watcher at a time, without reconnects of its own, so nothing is counted twice
      const sub: MqttClient = await mqtt.connectAsync(url, {
        username: 'gw-1',
        password: 'gw-secret',
        clientId: `w-${Math.random()}`,
        reconnectPeriod: 0,
      });
      watcher = sub;
      cleanups.push(() => sub.endAsync(true));
      sub.on('message', (topic, payload) => {
        if (topic.endsWith('/readings')) received.push({ topic, payload: JSON.parse(payload.toString()) });
      });
      await sub.subscribeAsync('tryghed/v1/#', { qos: 1 });
    };
    await watch();
    return {
      gateway,
      metrics,
      received,
      url,
      port,
      async restartBroker(during: () => void | Promise<void>) {
        await watcher?.endAsync(true);
        await broker.close();
        await during();
        broker = await plainBroker(port);
        await watch();
      },
      publishConfig: (config: unknown) => publishRetained(url, config),
    };
  };
  const r = (seq: number, kind: WireReading['kind'] = 'motion'): WireReading => ({
    kind,
    value: 1,
    ts: 1_700_000_000_000 + seq,
    seq,
  });
  const flat = (received: Array<{ payload: unknown }>) =>
    received.flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload])) as WireReading[];

  it('forwards local readings with QoS 1 to the device topic', async () => {
    const g = await setup();
    expect(g.gateway.submit('motion-1', r(1))).toBe(true);
    await eventually(() => g.received.length === 1);
    expect(g.received[0]).toEqual({ topic: topics.readings('h1', 'motion-1'), payload: r(1) });
    await eventually(() => g.gateway.pending() === 0);
  });

  it('keeps readings through a broker restart and delivers them in order, none lost', async () => {
    const g = await setup();
    g.gateway.submit('motion-1', r(1));
    await eventually(() => flat(g.received).length === 1);
    await g.restartBroker(() => {
      for (let i = 2; i <= 30; i++) g.gateway.submit('motion-1', r(i));
    });
    await eventually(() => g.gateway.pending() === 0 && flat(g.received).length >= 30, {
      timeoutMs: 15_000,
      what: 'all readings after the restart',
    });
    const seqs = flat(g.received).map((x) => x.seq);
    // QoS 1 is at-least-once: a reading in flight at the cut may come twice (ingest drops the resend)
    expect([...new Set(seqs)]).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('drops categories the home has not consented to before they leave the home; technical data still goes', async () => {
    const g = await setup();
    const scope = gatewayScope(emptyScope());
    scope.emergency = { alerts: true, history: false, night_round: false };
    await g.publishConfig({ consent: scope, at: 2 });
    await eventually(() => g.gateway.consent.allows('activity') === false);
    expect(g.gateway.submit('motion-1', r(1, 'motion'))).toBe(false);
    expect(g.gateway.submit('fall-1', r(2, 'fall'))).toBe(true);
    expect(g.gateway.submit('motion-1', r(3, 'battery'))).toBe(true);
    await eventually(() => flat(g.received).length === 2);
    expect(flat(g.received).map((x) => x.kind)).toEqual(['fall', 'battery']);
    expect(await g.metrics.value('tryghed_gateway_refused_total', { reason: 'no_consent' })).toBe(1);
  });

  it("a scope naming a purpose it does not know (a newer platform's) still applies: a withdrawal is never held up", async () => {
    const g = await setup();
    await eventually(() => g.gateway.consent.allows('activity') === true);
    const scope = {
      ...emptyScope(),
      activity: { alerts: false, history: false, care_record: true, later: true },
    };
    await g.publishConfig({ consent: scope, at: 3 });
    await eventually(() => g.gateway.consent.allows('activity') === false);
    expect(await g.metrics.value('tryghed_gateway_config_total', { outcome: 'invalid' })).toBe(0);
  });

  it('refuses an invalid local reading', async () => {
    const g = await setup();
    expect(
      g.gateway.submit('motion-1', { kind: 'laser', value: 1, ts: 1, seq: 1 } as unknown as WireReading),
    ).toBe(false);
    expect(await g.metrics.value('tryghed_gateway_refused_total', { reason: 'invalid' })).toBe(1);
  });

  it('bounds its outbox while the link is down: the oldest routine readings go first, alarms last', async () => {
    const g = await setup({ outboxLimit: 5 });
    await g.restartBroker(async () => {
      // once the gateway knows the link is gone, so nothing is in flight
      await eventually(() => !g.gateway.connected());
      for (let i = 1; i <= 3; i++) g.gateway.submit('motion-1', r(i));
      g.gateway.submit('button-1', r(4, 'alarm_button'));
      for (let i = 5; i <= 9; i++) g.gateway.submit('motion-1', r(i));
      expect(g.gateway.pending()).toBe(5);
    });
    await eventually(() => g.gateway.pending() === 0, { timeoutMs: 15_000 });
    // nine readings, room for five: the four oldest routine ones went, the older alarm stayed
    expect(await g.metrics.value('tryghed_gateway_outbox_dropped_total', { class: 'routine' })).toBe(4);
    expect(await g.metrics.value('tryghed_gateway_outbox_dropped_total', { class: 'alarm' })).toBe(0);
    await eventually(() => flat(g.received).some((x) => x.seq === 9), { what: 'the newest reading' });
    const seqs = flat(g.received).map((x) => x.seq);
    expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual([4, 6, 7, 8, 9]);
    // the alarm went first, ahead of the older routine backlog
    expect(seqs[0]).toBe(4);
  });

  it('holds readings until it knows the consent scope of the home, then sends only what is consented', async () => {
    const g = await setup({ scope: null });
    expect(g.gateway.submit('motion-1', r(1, 'motion'))).toBe(true);
    expect(g.gateway.submit('fall-1', r(2, 'fall'))).toBe(true);
    expect(g.gateway.submit('motion-1', r(3, 'battery'))).toBe(true);
    // technical data needs no consent; the rest waits for the scope
    await eventually(() => flat(g.received).length === 1);
    await new Promise((res) => setTimeout(res, 300));
    expect(flat(g.received).map((x) => x.kind)).toEqual(['battery']);
    const scope = gatewayScope(emptyScope());
    scope.emergency = { alerts: true, history: false, night_round: false };
    await g.publishConfig({ consent: scope, at: 5 });
    await eventually(() => g.gateway.pending() === 0);
    expect(flat(g.received).map((x) => x.kind)).toEqual(['battery', 'fall']);
    expect(await g.metrics.value('tryghed_gateway_consent_dropped_total', { category: 'activity' })).toBe(1);
  });

  it('drops queued readings whose consent was withdrawn before they could leave', async () => {
    const g = await setup();
    await g.restartBroker(async () => {
      await eventually(() => !g.gateway.connected());
      // one device, three categories: they would leave as one message if batched by device only
      g.gateway.submit('door-1', r(1, 'battery'));
      g.gateway.submit('door-1', r(2, 'motion'));
      g.gateway.submit('door-1', r(3, 'door'));
    });
    // the restarted broker lost the retained config; the platform publishes the new scope
    const scope = fullScope();
    scope.activity = { alerts: false, history: false, night_round: false };
    await g.publishConfig({ consent: scope, at: 9 });
    await eventually(() => g.gateway.pending() === 0, { timeoutMs: 15_000 });
    await eventually(() => flat(g.received).length >= 2);
    expect(flat(g.received).map((x) => x.kind)).toEqual(['battery', 'door']);
    expect(await g.metrics.value('tryghed_gateway_consent_dropped_total', { category: 'activity' })).toBe(1);
  });

  it('refuses an invalid or older home config and keeps the last good scope', async () => {
    const g = await setup();
    await eventually(() => g.gateway.consent.hasScope);
    const narrow = gatewayScope(emptyScope());
    await g.publishConfig({ consent: { ...narrow, emergency: { alerts: 'yes' } }, at: 10 });
    await g.publishConfig({ consent: narrow, at: 0 });
    await eventually(
      async () => (await g.metrics.value('tryghed_gateway_config_total', { outcome: 'stale' })) === 1,
    );
    expect(await g.metrics.value('tryghed_gateway_config_total', { outcome: 'invalid' })).toBe(1);
    expect(g.gateway.consent.allows('activity')).toBe(true);
    expect(g.gateway.submit('motion-1', r(1, 'motion'))).toBe(true);
  });

  it('refuses a retained config with an empty consent scope: submit() keeps working, the last good scope holds', async () => {
    // issue 8: `{"consent":{}}` as the retained config once made submit() throw
    const first = await setup({ scope: null });
    await first.publishConfig({ consent: {} });
    await eventually(
      async () => (await first.metrics.value('tryghed_gateway_config_total', { outcome: 'invalid' })) === 1,
    );
    expect(first.gateway.consent.hasScope).toBe(false);
    expect(() => first.gateway.submit('motion-1', r(1, 'motion'))).not.toThrow();
    expect(first.gateway.pending()).toBe(1);

    const g = await setup();
    await eventually(() => g.gateway.consent.hasScope);
    await g.publishConfig({ consent: {}, at: 5 });
    await g.publishConfig({ consent: { emergency: null }, at: 6 });
    await g.publishConfig({ consent: { ...gatewayScope(emptyScope()), sleep: {} }, at: 7 });
    await eventually(
      async () => (await g.metrics.value('tryghed_gateway_config_total', { outcome: 'invalid' })) === 3,
    );
    expect(g.gateway.consent.allows('activity')).toBe(true);
    expect(g.gateway.submit('motion-1', r(2, 'motion'))).toBe(true);
    await eventually(() => flat(g.received).some((x) => x.seq === 2));
  });

  it('keeps what it took across a restart of the gateway itself (the outbox is on disk)', async () => {
    const dir = tempDir();
    cleanups.push(async () => dir.remove());
    const path = join(dir.path, 'outbox.sqlite');
    const g = await setup({ outboxPath: path });
    await g.restartBroker(async () => {
      await eventually(() => !g.gateway.connected());
      for (let i = 1; i <= 5; i++) g.gateway.submit('motion-1', r(i));
      await g.gateway.stop();
    });
    const again = new HomeGateway({
      brokerUrl: g.url,
      homeId: 'h1',
      gatewayId: 'gw-1',
      secret: 'gw-secret',
      logger: silentLogger(),
      outboxPath: path,
    });
    expect(again.pending()).toBe(5);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // the scope it last knew is on disk too: it sends before the platform republishes one
    expect(again.consent.hasScope).toBe(true);
    await again.start();
    cleanups.push(() => again.stop());
    await eventually(() => again.pending() === 0, { timeoutMs: 15_000 });
    // the watcher's copy may arrive a moment after the gateway's PUBACK on a loaded machine
    const seqs = () => [...new Set(flat(g.received).map((x) => x.seq))].sort();
    await eventually(() => seqs().length === 5, { timeoutMs: 10_000, what: 'all five at the platform' });
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('says it is alive while the home is quiet (its retained status, again every heartbeat)', async () => {
    // the heartbeat runs on the gateway's clock: moved by hand, no waiting for it
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 3, 0, 0));
    const t0 = clock.now();
    const g = await setup({ heartbeatMs: 60_000, clock });
    const seen: number[] = [];
    const sub = await mqtt.connectAsync(g.url, {
      username: 'gw-1',
      password: 'gw-secret',
      clientId: 'status-watch',
    });
    cleanups.push(() => sub.endAsync(true));
    sub.on('message', (_topic, payload) => seen.push((JSON.parse(payload.toString()) as { at: number }).at));
    await sub.subscribeAsync(topics.status('h1', 'gw-1'), { qos: 1 });
    await eventually(() => seen.length === 1, { what: 'the status from connecting' });
    clock.advance(59_999);
    clock.advance(1);
    await eventually(() => seen.length === 2, { what: 'the first heartbeat' });
    clock.advance(60_000);
    await eventually(() => seen.length === 3, { what: 'the second heartbeat' });
    expect(seen).toEqual([t0, t0 + 60_000, t0 + 120_000]);
  });

  it('over TLS it trusts the CA it was given and verifies the server; without that CA it refuses', async () => {
    const dir = tempDir();
    cleanups.push(async () => dir.remove());
    const key = join(dir.path, 'key.pem');
    const cert = join(dir.path, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const aedes = await Aedes.createBroker({
      authenticate: (_c, username, password, done) =>
        done(null, username === 'gw-1' && password?.toString() === 'gw-secret'),
    });
    const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, aedes.handle);
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => aedes.close(() => server.close(() => r()))));
    const gateway = (ca?: string) =>
      new HomeGateway({
        brokerUrl: `mqtts://127.0.0.1:${port}`,
        homeId: 'h1',
        gatewayId: 'gw-1',
        secret: 'gw-secret',
        logger: silentLogger(),
        ...(ca ? { ca } : {}),
      });
    const trusted = gateway(readFileSync(cert, 'utf8'));
    cleanups.push(() => trusted.stop());
    await trusted.start();
    expect(trusted.connected()).toBe(true);
    const untrusted = gateway();
    cleanups.push(() => untrusted.stop());
    await expect(untrusted.start()).rejects.toThrow(/self[- ]signed/i);
  });

  it('a wrong secret makes start() fail clearly', async () => {
    const port = await freePort();
    const broker = await plainBroker(port);
    cleanups.push(() => broker.close());
    const gateway = new HomeGateway({
      brokerUrl: `mqtt://127.0.0.1:${port}`,
      homeId: 'h1',
      gatewayId: 'gw-1',
      secret: 'wrong',
      logger: silentLogger(),
    });
    await expect(
      Promise.race([
        gateway.start(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), 5000)),
      ]),
    ).rejects.toThrow(/Bad username or password/i);
    await gateway.stop();
  });
});

describe('the outbox on its own (SQLite)', () => {
  const reading = (kind: WireReading['kind'], value: number, seq: number): WireReading => ({
    kind,
    value,
    ts: 1_700_000_000_000 + seq,
    seq,
  });
  const add = (outbox: Outbox, deviceId: string, r: WireReading, alarm = isAlarm(r.kind, r.value)) =>
    outbox.addReading(
      { topic: topics.readings('h1', deviceId), deviceId, category: categoryOf(r.kind), reading: r, alarm },
      0,
    );

  it('an alarm goes ahead of other devices’ backlog but never ahead of its own device’s earlier readings', () => {
    const outbox = Outbox.open(':memory:', { maxRows: 100, maxBytes: 1_000_000 });
    add(outbox, 'motion-1', reading('motion', 1, 1));
    add(outbox, 'co-1', reading('co', 0, 2));
    add(outbox, 'co-1', reading('co', 85, 3));
    const order: string[] = [];
    for (let batch = outbox.next(50); batch.length > 0; batch = outbox.next(50)) {
      order.push(batch.map((r) => `${r.deviceId}:${(JSON.parse(r.payload) as WireReading).value}`).join(','));
      outbox.remove(batch.map((r) => r.id));
    }
    expect(order).toEqual(['co-1:0', 'co-1:85', 'motion-1:1']);
    outbox.close();
  });

  it('bounded by bytes too; when only alarms are left, the oldest alarm goes and is reported as such', () => {
    const outbox = Outbox.open(':memory:', { maxRows: 2, maxBytes: 1_000_000 });
    expect(add(outbox, 'b', reading('alarm_button', 1, 1))).toEqual({ routine: 0, alarm: 0 });
    expect(add(outbox, 'b', reading('alarm_button', 1, 2))).toEqual({ routine: 0, alarm: 0 });
    expect(add(outbox, 'b', reading('alarm_button', 1, 3))).toEqual({ routine: 0, alarm: 1 });
    outbox.close();
    const small = Outbox.open(':memory:', { maxRows: 1000, maxBytes: 300 });
    let dropped = 0;
    for (let i = 1; i <= 10; i++) dropped += add(small, 'm', reading('motion', 1, i)).routine;
    expect(small.sizeBytes).toBeLessThanOrEqual(300);
    expect(dropped).toBe(10 - small.size);
    small.close();
  });
});

describe("the gateway's --list-devices reads zigbee2mqtt's retained device list as input (issue 8 pt 6)", () => {
  it('a damaged device list is named and exits 1, no stack trace; a good one is listed', async () => {
    const aedes = await Aedes.createBroker();
    const server: Server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = tempDir();
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const file = join(dir.path, 'tryghed-gateway.json');
      writeFileSync(
        file,
        JSON.stringify({
          platform: {
            url: 'mqtt://127.0.0.1:1',
            homeId: 'h1',
            gatewayId: 'gw-1',
            secret: 'a-long-enough-secret-1',
          },
          local: { url },
          dataDir: dir.path,
        }),
      );
      const publish = async (payload: string) => {
        const c = await mqtt.connectAsync(url, { clientId: `z2m-${Math.random()}` });
        await c.publishAsync('zigbee2mqtt/bridge/devices', payload, { qos: 1, retain: true });
        await c.endAsync();
      };
      for (const damaged of ['{"devices":', '{"not":"a list"}', '[{"ieee_address":7}]']) {
        await publish(damaged);
        err.mockClear();
        expect(await runGatewayCli(['--list-devices', '--config', file], {})).toBe(1);
        expect(err.mock.calls.flat().join('\n')).toContain('zigbee2mqtt/bridge/devices is not');
      }
      await publish(
        JSON.stringify([{ ieee_address: '0x00178801000000aa', type: 'Router', friendly_name: 'hall/lamp' }]),
      );
      expect(await runGatewayCli(['--list-devices', '--config', file], {})).toBe(0);
      expect(out.mock.calls.flat().join('\n')).toContain('0x00178801000000aa');
    } finally {
      out.mockRestore();
      err.mockRestore();
      await new Promise<void>((r) => aedes.close(() => server.close(() => r())));
      dir.remove();
    }
  });
});
