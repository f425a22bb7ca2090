import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCareRecordPush } from '../platform/care-record.ts';
import { AuditLog } from '../services/audit/index.ts';
import {
  type Bundle,
  CareRecords,
  careRecordNotice,
  careRecordSender,
  type FhirValidator,
  fhirValidator,
} from '../services/care-record/index.ts';
import type { Alert } from '../services/domain/index.ts';
import { People } from '../services/people/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { eventually } from './harness/index.ts';
import { testOutbox } from './harness/outbox.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const TOKEN = 'fhir-token-0123456789';

interface Received {
  headers: IncomingMessage['headers'];
  url: string;
  body: string;
}

/** Issue 13 point 5: the document POSTed to a real FHIR endpoint, with the bearer token, by consent. */
describe('pushing a handled alert to the care record', () => {
  let f: Fixture;
  let server: Server;
  let base: string;
  let received: Received[];
  let answer: number;
  let validate: FhirValidator;
  let records: CareRecords;

  beforeAll(async () => {
    validate = await fhirValidator();
  }, 30_000);

  beforeEach(async () => {
    f = await servicesFixture(Date.UTC(2026, 2, 2, 2, 10));
    await f.home('h1', ['fall']);
    await f.setConsent('h1', 'emergency', 'alerts');
    await f.setConsent('h1', 'emergency', 'care_record');
    received = [];
    answer = 201;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        received.push({ headers: req.headers, url: req.url ?? '', body });
        // a FHIR server checks the token itself: a wrong one is a 401
        const status = req.headers.authorization === `Bearer ${TOKEN}` ? answer : 401;
        res.writeHead(status, { 'content-type': 'application/fhir+json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/r4/`;
    records = new CareRecords({
      alerts: f.alerts,
      consent: f.consent,
      registry: f.registry,
      people: new People(f.store),
      auditLog: new AuditLog(f.store),
      clock: f.clock,
      logger: silentLogger(),
      metrics: f.metrics,
    });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await f.close();
  });

  const resolvedFall = async () => {
    const alert = (await f.alerts.raise({
      homeId: 'h1',
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: f.clock.now(),
      evidence: {
        readings: [{ deviceId: 'h1-dev', kind: 'fall', value: 1, ts: f.clock.now() }],
        summary: 'Fald registreret',
      },
    })) as Alert;
    f.clock.advance(20 * 60_000);
    return f.alerts.resolve(
      alert.id,
      { id: 'u-anna', role: 'staff' },
      { outcome: 'real_incident', note: 'Hjulpet op.' },
    );
  };
  const job = (alertId: string) => ({
    payload: { alertId },
    idempotencyKey: `care-record:${alertId}`,
    signal: new AbortController().signal,
  });

  it('POSTs a valid document bundle to <base>/Bundle with the bearer token and keys; audited as sent', async () => {
    const alert = await resolvedFall();
    const send = careRecordSender(records, { baseUrl: base, token: TOKEN, timeoutMs: 5000 }, silentLogger());
    expect(await send(job(alert.id))).toEqual({ delivered: true, attempts: 1, detail: null });
    expect(received).toHaveLength(1);
    const [got] = received;
    expect(got!.url).toBe('/fhir/r4/Bundle');
    expect(got!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(got!.headers['content-type']).toBe('application/fhir+json');
    expect(got!.headers['idempotency-key']).toBe(`care-record:${alert.id}`);
    expect(got!.headers['if-none-exist']).toBe(
      `identifier=https://tryghed.dk/fhir/NamingSystem/care-record-document|${alert.id}`,
    );
    const bundle = JSON.parse(got!.body) as Bundle;
    expect(bundle.type).toBe('document');
    expect(validate(bundle)).toEqual([]);
    const audit = await f.store.audit.listByHome('h1');
    expect(audit.find((e) => e.action === 'care_record.send')).toMatchObject({
      actorRole: 'system',
      purpose: 'care_record',
      detail: alert.id,
    });
  });

  it('a consent withdrawn before the send: nothing leaves, final (never retried), nothing audited as sent', async () => {
    const alert = await resolvedFall();
    expect(careRecordNotice({ seq: 1, type: 'resolved', alert }, records)).toMatchObject({
      idempotencyKey: `care-record:${alert.id}`,
      channel: 'care-record',
      payload: { alertId: alert.id },
    });
    await f.setConsent('h1', 'emergency', 'care_record', 'withdraw');
    // no notice is made for it any more either
    expect(careRecordNotice({ seq: 2, type: 'resolved', alert }, records)).toBeNull();
    const send = careRecordSender(records, { baseUrl: base, token: TOKEN, timeoutMs: 5000 }, silentLogger());
    expect(await send(job(alert.id))).toMatchObject({
      delivered: false,
      final: true,
      detail: 'no_care_record_consent',
    });
    expect(received).toHaveLength(0);
    expect((await f.store.audit.listByHome('h1')).some((e) => e.action === 'care_record.send')).toBe(false);
  });

  it('a wrong token is final; a 503 is tried again later; an unreachable endpoint is a short code', async () => {
    const alert = await resolvedFall();
    const wrong = careRecordSender(
      records,
      { baseUrl: base, token: 'nope', timeoutMs: 5000 },
      silentLogger(),
    );
    expect(await wrong(job(alert.id))).toMatchObject({ delivered: false, final: true, detail: 'HTTP 401' });
    answer = 503;
    const send = careRecordSender(records, { baseUrl: base, token: TOKEN, timeoutMs: 5000 }, silentLogger());
    const busy = await send(job(alert.id));
    expect(busy).toMatchObject({ delivered: false, detail: 'HTTP 503' });
    expect(busy.final).toBeUndefined();
    const gone = careRecordSender(
      records,
      { baseUrl: 'http://127.0.0.1:1', token: TOKEN, timeoutMs: 5000 },
      silentLogger(),
    );
    const unreachable = await gone(job(alert.id));
    expect(unreachable.delivered).toBe(false);
    expect(unreachable.final).toBeUndefined();
    // a code, never the error's message (which may quote the URL)
    expect(unreachable.detail).toMatch(/^[A-Za-z_]+$/);
    expect((await f.store.audit.listByHome('h1')).some((e) => e.action === 'care_record.send')).toBe(false);
  });

  it('wired to the durable outbox: a resolve is sent once, by key; a home without the consent sends nothing', async () => {
    const outbox = testOutbox(f, { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 1000 });
    const closers: Array<() => Promise<void> | void> = [];
    startCareRecordPush(
      { fhirBaseUrl: base, fhirToken: TOKEN, notifyTimeoutMs: 5000 },
      {
        alerts: f.alerts,
        consent: f.consent,
        registry: f.registry,
        people: new People(f.store),
        store: f.store,
        clock: f.clock,
        logger: silentLogger(),
        metrics: f.metrics,
        events: f.events,
        outbox,
        started: (_part, close) => closers.push(close),
      },
    );
    await outbox.start();
    try {
      const alert = await resolvedFall();
      await eventually(() => received.length === 1);
      expect(received[0]!.headers['idempotency-key']).toBe(`care-record:${alert.id}`);
      expect((await outbox.byKey(`care-record:${alert.id}`))?.state).toBe('delivered');
      // the same resolve heard again (another process) is the same notice: not sent twice
      expect(await outbox.enqueue(careRecordNotice({ seq: 9, type: 'resolved', alert }, records)!)).toBe(
        false,
      );

      await f.home('h2', ['fall']);
      await f.setConsent('h2', 'emergency', 'alerts');
      const other = (await f.alerts.raise({
        homeId: 'h2',
        rule: 'fall',
        category: 'emergency',
        severity: 'critical',
        audience: 'care',
        at: f.clock.now(),
        evidence: { readings: [], summary: 'Fald' },
      })) as Alert;
      await f.alerts.resolve(other.id, { id: 'u-anna', role: 'staff' }, { outcome: 'false_alarm', note: '' });
      await outbox.dispatch();
      expect(await outbox.byKey(`care-record:${other.id}`)).toBeNull();
      expect(received).toHaveLength(1);
    } finally {
      for (const close of closers.reverse()) await close();
      await outbox.stop();
    }
  });

  it('only a resolved care alert of a consenting home makes a notice; a test or open alert none', async () => {
    const alert = await resolvedFall();
    expect(careRecordNotice({ seq: 1, type: 'acknowledged', alert }, records)).toBeNull();
    expect(
      careRecordNotice({ seq: 1, type: 'resolved', alert: { ...alert, test: true } }, records),
    ).toBeNull();
    expect(
      careRecordNotice({ seq: 1, type: 'resolved', alert: { ...alert, audience: 'technical' } }, records),
    ).toBeNull();
  });
});
