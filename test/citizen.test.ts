import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import type { Platform } from '../platform/start.ts';
import { type ConsentCategory, PURPOSE_TEXTS, topics, type WireReading } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';
import { servicesFixture } from './harness/services.ts';

/** RFC 4180 with `;`, as a Danish spreadsheet reads it: quoted cells may hold `;`, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ';') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const NOTE = 'Fandt hende på gulvet; "ok" efter lidt tid\nRingede til datteren, som kom';
const PAPER_REFERENCE = '=HYPERLINK("x"), blanket 7';

interface ErrorBody {
  error: string;
  message: string;
  issues?: Array<{ in?: string; path: string; message: string }>;
}

interface AccessEntry {
  actorRole: string;
  actorName: string | null;
  action: string;
  purpose: string;
}

describe('the citizen and relative side: consent, alerts, access log, export, erasure, powers of attorney', () => {
  const dir = tempDir();
  const database = uniqueDatabase('citizen');
  const password = 'password-123';
  let platform: Platform;
  let admin: ApiClient;
  let staffA: ApiClient;
  let staffB: ApiClient;
  let technician: ApiClient;
  let citizenA: ApiClient;
  let citizenB: ApiClient;
  let relative: ApiClient;
  let relativeId: string;
  let powerId: number;
  const devices: MqttClient[] = [];
  const secrets: Record<string, string> = {};
  let seq = 0;

  const device = async (id: string) => {
    const client = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: id,
      username: id,
      password: secrets[id]!,
      reconnectPeriod: 0,
    });
    devices.push(client);
    return client;
  };
  const publishFall = async (client: MqttClient, homeId: string, deviceId: string) => {
    const reading: WireReading = { kind: 'fall', value: 1, ts: Date.now(), seq: ++seq };
    await client.publishAsync(topics.readings(homeId, deviceId), JSON.stringify(reading), { qos: 1 });
    return reading;
  };
  const storedSeqs = async (homeId: string) =>
    (await platform.readings.query({ homeId, from: 0, to: Date.now() + 60_000 })).map((p) => p.seq);
  const grant = (
    client: ApiClient,
    homeId: string,
    category: ConsentCategory,
    purpose: 'alerts' | 'history',
  ) =>
    client.ok<{ event: { textVersion: string; basis: string; onBehalfOf: string | null } }>(
      'POST',
      `/api/homes/${homeId}/consent`,
      {
        category,
        purpose,
        action: 'grant',
        channel: 'web',
        textVersion: PURPOSE_TEXTS[category][purpose].version,
      },
    );

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/teams', { id: 'team-b', name: 'Team B' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Borger B', teamId: 'team-b' });
    for (const [home, id, kinds] of [
      ['home-a', 'fall-a', ['fall', 'alarm_button']],
      ['home-a', 'motion-a', ['motion']],
      ['home-b', 'fall-b', ['fall']],
    ] as const) {
      const res = await admin.ok<{ secret: string }>('POST', `/api/homes/${home}/devices`, { id, kinds });
      secrets[id] = res.secret;
    }
    const user = (body: Record<string, unknown>) =>
      admin.ok<{ user: { id: string } }>('POST', '/api/users', { password, ...body });
    await user({ username: 'staff-a', displayName: 'Sosu Anna', role: 'staff', teamIds: ['team-a'] });
    await user({ username: 'staff-b', displayName: 'Sosu Bo', role: 'staff', teamIds: ['team-b'] });
    await user({ username: 'tech', displayName: 'Tekniker Tim', role: 'technician' });
    await user({ username: 'citizen-a', displayName: 'Astrid', role: 'citizen', homeId: 'home-a' });
    await user({ username: 'citizen-b', displayName: 'Bent', role: 'citizen', homeId: 'home-b' });
    relativeId = (await user({ username: 'relative', displayName: 'Datter Dorte', role: 'relative' })).user
      .id;
    const login = (name: string) => ApiClient.login(url, name, password);
    [staffA, staffB, technician, citizenA, citizenB, relative] = (await Promise.all(
      ['staff-a', 'staff-b', 'tech', 'citizen-a', 'citizen-b', 'relative'].map(login),
    )) as [ApiClient, ApiClient, ApiClient, ApiClient, ApiClient, ApiClient];
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync()));
    await platform?.close();
    dir.remove();
  });

  it('staff of the home team record a power of attorney; others may not', async () => {
    const body = { relativeUserId: relativeId, reference: 'Fremtidsfuldmagt 2026-0042' };
    expect((await staffB.request('POST', '/api/homes/home-a/powers-of-attorney', body)).status).toBe(404);
    expect(await technician.request('POST', '/api/homes/home-a/powers-of-attorney', body)).toMatchObject({
      status: 403,
      body: { error: 'forbidden', message: expect.any(String) },
    });
    expect((await citizenA.request('POST', '/api/homes/home-a/powers-of-attorney', body)).status).toBe(403);
    const bad = await staffA.request('POST', '/api/homes/home-a/powers-of-attorney', {
      relativeUserId: relativeId,
      reference: '   ',
      scan: 'fuldmagt.pdf',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'bad_request', message: 'the request body is not valid' });
    expect(
      ((bad.body as ErrorBody).issues ?? []).map((i) => [i.in, i.path, i.path === 'scan' ? i.message : '']),
    ).toEqual(
      expect.arrayContaining([
        ['body', 'reference', ''],
        ['body', 'scan', 'unknown field'],
      ]),
    );
    // the relative is named by id or by username, exactly one of them
    const both = await staffA.request('POST', '/api/homes/home-a/powers-of-attorney', {
      relativeUserId: relativeId,
      relativeUsername: 'x',
      reference: 'x',
    });
    expect(both.status).toBe(400);
    expect(((both.body as ErrorBody).issues ?? []).map((i) => i.path)).toContain('relativeUsername');
    const neither = await staffA.request('POST', '/api/homes/home-a/powers-of-attorney', { reference: 'x' });
    expect(neither.status).toBe(400);
    expect((await relative.request('GET', '/api/homes/home-a/consent')).status).toBe(404);
    const notARelative = { relativeUserId: staffB.user!.id, reference: 'x' };
    expect((await staffA.request('POST', '/api/homes/home-a/powers-of-attorney', notARelative)).status).toBe(
      404,
    );
    const { powerOfAttorney } = await staffA.ok<{ powerOfAttorney: { id: number; relative: unknown } }>(
      'POST',
      '/api/homes/home-a/powers-of-attorney',
      body,
    );
    powerId = powerOfAttorney.id;
    expect(powerOfAttorney.relative).toEqual({ id: relativeId, displayName: 'Datter Dorte' });
    expect((await staffA.request('POST', '/api/homes/home-a/powers-of-attorney', body)).status).toBe(409);
    const listed = await citizenA.ok<{ powersOfAttorney: Array<{ id: number; revokedAt: number | null }> }>(
      'GET',
      '/api/homes/home-a/powers-of-attorney',
    );
    expect(listed.powersOfAttorney).toMatchObject([{ id: powerId, revokedAt: null }]);
    const audit = await platform.store.audit.listByHome('home-a');
    expect(audit.find((e) => e.action === 'power_of_attorney.grant')).toMatchObject({
      actorId: staffA.user!.id,
      actorRole: 'staff',
      purpose: 'power_of_attorney',
    });
  });

  it('consent carries the version of the information text shown, and the history says who acted for whom', async () => {
    const overview = await citizenA.ok<{
      categories: Array<{
        category: string;
        sensors: Array<{ deviceId: string; kind: string }>;
        purposes: Array<{
          purpose: string;
          granted: boolean;
          text: { version: string; body: { da: string } };
        }>;
      }>;
    }>('GET', '/api/homes/home-a/overview');
    const emergency = overview.categories.find((c) => c.category === 'emergency')!;
    expect(emergency.sensors.map((s) => s.kind).sort()).toEqual(['alarm_button', 'fall']);
    expect(overview.categories.find((c) => c.category === 'activity')!.sensors).toEqual([
      expect.objectContaining({ deviceId: 'motion-a', kind: 'motion' }),
    ]);
    expect(overview.categories.find((c) => c.category === 'sleep')!.sensors).toEqual([]);
    const alertsText = emergency.purposes.find((p) => p.purpose === 'alerts')!;
    expect(alertsText.granted).toBe(false);
    expect(alertsText.text.version).toBe(PURPOSE_TEXTS.emergency.alerts.version);
    expect(alertsText.text.body.da).toBe(PURPOSE_TEXTS.emergency.alerts.body.da);

    const own = await grant(citizenA, 'home-a', 'emergency', 'alerts');
    expect(own.event).toMatchObject({ textVersion: 'emergency-alerts-2026-2', basis: 'own_consent' });
    const byRelative = await grant(relative, 'home-a', 'emergency', 'history');
    expect(byRelative.event).toMatchObject({ basis: 'power_of_attorney', onBehalfOf: 'citizen:home-a' });
    await staffA.ok('POST', '/api/homes/home-a/consent', {
      category: 'door',
      purpose: 'alerts',
      action: 'grant',
      channel: 'paper',
      basis: 'paper_form',
      reference: PAPER_REFERENCE,
      textVersion: PURPOSE_TEXTS.door.alerts.version,
    });

    const { consentHistory } = await citizenA.ok<{
      consentHistory: Array<{
        actorRole: string;
        actorName: string | null;
        onBehalfOfCitizen: boolean;
        channel: string;
        basis: string;
        textVersion: string;
      }>;
    }>('GET', '/api/homes/home-a/overview');
    expect(consentHistory).toEqual([
      expect.objectContaining({
        actorRole: 'citizen',
        actorName: 'Astrid',
        onBehalfOfCitizen: false,
        channel: 'web',
        basis: 'own_consent',
        textVersion: 'emergency-alerts-2026-2',
      }),
      expect.objectContaining({
        actorRole: 'relative',
        actorName: 'Datter Dorte',
        onBehalfOfCitizen: true,
        basis: 'power_of_attorney',
      }),
      // staff are shown by role in the consent history, not by name
      expect.objectContaining({
        actorRole: 'staff',
        actorName: null,
        onBehalfOfCitizen: true,
        channel: 'paper',
        basis: 'paper_form',
      }),
    ]);
    await grant(citizenB, 'home-b', 'emergency', 'history');
  });

  it('a fall over MQTT becomes an alert the citizen sees, with the outcome and note once resolved', async () => {
    const fallA = await device('fall-a');
    const sent = await publishFall(fallA, 'home-a', 'fall-a');
    const alert = await eventually(
      async () =>
        (
          await staffA.ok<{ alerts: Array<{ id: string; homeId: string }> }>('GET', '/api/alerts')
        ).alerts.find((a) => a.homeId === 'home-a'),
      { what: 'the fall alert' },
    );
    // the citizen is told where staff are: seen, then on the way (issue 13), by the server's stamps
    const seenBy = async () =>
      (await citizenA.ok<{ alerts: Array<Record<string, unknown>> }>('GET', '/api/homes/home-a/alerts'))
        .alerts[0];
    await staffA.ok('POST', `/api/alerts/${alert.id}/acknowledge`);
    expect(await seenBy()).toMatchObject({ state: 'acknowledged', enRouteAt: null, arrivedAt: null });
    await staffA.ok('POST', `/api/alerts/${alert.id}/en-route`);
    expect(await seenBy()).toMatchObject({ enRouteAt: expect.any(Number), arrivedAt: null });
    await staffA.ok('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'real_incident', note: NOTE });
    const { alerts } = await citizenA.ok<{ alerts: Array<Record<string, unknown>> }>(
      'GET',
      '/api/homes/home-a/alerts',
    );
    expect(alerts).toEqual([
      expect.objectContaining({
        id: alert.id,
        rule: 'fall',
        state: 'resolved',
        outcome: 'real_incident',
        note: NOTE,
        handledBy: 'Sosu Anna',
        legalBasis: 'own_consent',
      }),
    ]);
    expect((await relative.ok<{ alerts: unknown[] }>('GET', '/api/homes/home-a/alerts')).alerts).toHaveLength(
      1,
    );
    await eventually(async () => (await storedSeqs('home-a')).includes(sent.seq), {
      what: 'the reading in InfluxDB',
    });
  });

  it('the access log shows who looked, with role and purpose; staff by name, technicians by role', async () => {
    await staffA.ok('GET', '/api/homes/home-a');
    await technician.ok('GET', '/api/homes/home-a');
    await relative.ok('GET', '/api/homes/home-a/overview');
    const { entries } = await citizenA.ok<{ entries: AccessEntry[] }>('GET', '/api/homes/home-a/access-log');
    const find = (role: string, action: string) =>
      entries.find((e) => e.actorRole === role && e.action === action);
    expect(find('staff', 'home.read')).toMatchObject({ actorName: 'Sosu Anna', purpose: 'care' });
    expect(find('staff', 'alerts.list')).toMatchObject({ actorName: 'Sosu Anna', purpose: 'care' });
    expect(find('staff', 'alert.resolve')).toMatchObject({ actorName: 'Sosu Anna' });
    expect(find('technician', 'home.read')).toMatchObject({ actorName: null, purpose: 'maintenance' });
    expect(find('relative', 'home.overview')).toMatchObject({
      actorName: 'Datter Dorte',
      purpose: 'power_of_attorney',
    });
    expect(find('admin', 'device.provision')).toMatchObject({ actorName: null, purpose: 'provisioning' });
    // the citizen's own reads are recorded, but not shown back to them
    expect(entries.some((e) => e.actorRole === 'citizen')).toBe(false);
    const raw = await platform.store.audit.listByHome('home-a');
    expect(raw.some((e) => e.actorRole === 'citizen' && e.action === 'home.overview')).toBe(true);
    // staff do not get to watch their colleagues; technicians do not read the citizen's record
    expect((await staffA.request('GET', '/api/homes/home-a/access-log')).status).toBe(403);
    expect((await technician.request('GET', '/api/homes/home-a/access-log')).status).toBe(403);
    expect((await technician.request('GET', '/api/homes/home-a/export')).status).toBe(403);
  });

  it('a relative sees only the citizens they hold a power of attorney for (404, never 403, for others)', async () => {
    const { homes } = await relative.ok<{ homes: Array<{ id: string }> }>('GET', '/api/homes');
    expect(homes.map((h) => h.id)).toEqual(['home-a']);
    for (const path of [
      '/api/homes/home-b',
      '/api/homes/home-b/consent',
      '/api/homes/home-b/overview',
      '/api/homes/home-b/alerts',
      '/api/homes/home-b/access-log',
      '/api/homes/home-b/export?format=json',
      '/api/homes/home-b/export?format=csv',
      '/api/homes/home-b/erasure-requests',
      '/api/homes/home-b/powers-of-attorney',
      '/api/homes/nope/export',
    ]) {
      const res = await relative.request('GET', path);
      expect(res.status, path).toBe(404);
      // the same envelope as any other 404: nothing about the home in it
      expect(res.body, path).toEqual({
        error: 'not_found',
        reason: 'home_not_found',
        message: expect.any(String),
      });
      expect((res.body as ErrorBody).message, path).not.toMatch(/home-b|Borger B/);
    }
    expect((await relative.request('POST', '/api/homes/home-b/erasure-requests', {})).status).toBe(404);
    expect(
      (
        await relative.request('POST', '/api/homes/home-b/consent', {
          category: 'emergency',
          purpose: 'alerts',
          action: 'withdraw',
          textVersion: 'x',
        })
      ).status,
    ).toBe(404);
    expect((await citizenA.request('GET', '/api/homes/home-b/export')).status).toBe(404);
    expect((await staffB.request('GET', '/api/homes/home-a/alerts')).status).toBe(404);
  });

  it('exports everything as JSON, with a file name, and records the export', async () => {
    // a technician's test reading is kept like any other (emergency history is consented), and the
    // export says it is one: it is not from the citizen's life
    const { reading: testReading } = await technician.ok<{ reading: { seq: number } }>(
      'POST',
      '/api/devices/fall-a/test-reading',
      { kind: 'fall', value: 0 },
    );
    await eventually(
      async () =>
        (await platform.readings.query({ homeId: 'home-a', from: 0, to: Date.now() + 60_000 })).some(
          (p) => p.test && p.seq === testReading.seq,
        ),
      { what: 'the test reading in InfluxDB' },
    );
    const res = await fetch(`${platform.dashboardUrl}/api/homes/home-a/export?format=json`, {
      headers: { cookie: citizenA.sessionCookie },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="tryghed-home-a-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    const body = (await res.json()) as {
      home: { id: string };
      consent: { scope: { emergency: { alerts: boolean } }; history: unknown[] };
      alerts: Array<{ note: string; outcome: string }>;
      accessLog: AccessEntry[];
      readings: Array<{
        deviceId: string;
        kind: string;
        value: number;
        time: string;
        seq: number;
        test: boolean;
      }>;
      erasureRequests: unknown[];
      readingsTruncated: boolean;
    };
    expect(body.home.id).toBe('home-a');
    expect(body.consent.scope.emergency.alerts).toBe(true);
    expect(body.consent.history).toHaveLength(3);
    expect(body.alerts).toMatchObject([{ note: NOTE, outcome: 'real_incident' }]);
    expect(body.accessLog.some((e) => e.actorName === 'Sosu Anna')).toBe(true);
    expect(body.readings.length).toBeGreaterThan(0);
    expect(body.readings[0]).toMatchObject({ deviceId: 'fall-a', kind: 'fall', value: 1, test: false });
    expect(body.readings.filter((r) => r.test)).toMatchObject([
      { deviceId: 'fall-a', kind: 'fall', value: 0, seq: testReading.seq },
    ]);
    expect(body.readingsTruncated).toBe(false);
    const audit = await platform.store.audit.listByHome('home-a');
    expect(audit.find((e) => e.action === 'export.download')).toMatchObject({
      actorId: citizenA.user!.id,
      purpose: 'own_data',
      detail: 'json',
    });
    const xml = await citizenA.request('GET', '/api/homes/home-a/export?format=xml');
    expect(xml.status).toBe(400);
    expect(xml.body).toMatchObject({
      error: 'bad_request',
      message: 'the query is not valid',
      issues: [{ in: 'query', path: 'format' }],
    });
  });

  it('exports the same as CSV that a Danish spreadsheet reads back exactly: `;`, quotes and line breaks escaped, Danish columns and values', async () => {
    const res = await fetch(`${platform.dashboardUrl}/api/homes/home-a/export?format=csv`, {
      headers: { cookie: relative.sessionCookie },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(/filename="tryghed-home-a-\d{4}-\d\d-\d\d\.csv"/);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.slice(1).split('\r\n')[0]).toMatch(
      /^afsnit;tid \(Europe\/Copenhagen\);rolle;navn;handling;kategori;formål;/,
    );
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header?.slice(0, 5)).toEqual(['afsnit', 'tid (Europe/Copenhagen)', 'rolle', 'navn', 'handling']);
    const col = (name: string) => header!.indexOf(name);
    expect(rows.every((r) => r.length === header!.length)).toBe(true);
    // local time as a Danish spreadsheet takes it for a date and time
    expect(
      rows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(r[col('tid (Europe/Copenhagen)')]!)),
    ).toBe(true);
    const alert = rows.find((r) => r[col('afsnit')] === 'alarm')!;
    // the note holds `;`, a quote and a line break: quoted, and read back whole
    expect(alert[col('note')]).toBe(NOTE);
    expect(alert[col('udfald')]).toBe('reel hændelse');
    expect(alert[col('kategori')]).toBe('Nødsituationer');
    expect(alert[col('navn')]).toBe('Sosu Anna');
    // the resolved time in the detail is local to the home too, not ISO UTC
    expect(alert[col('detaljer')]).toMatch(/afsluttet \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // a cell a spreadsheet would run as a formula is kept as text
    const paper = rows.find((r) => r[col('afsnit')] === 'samtykke' && r[col('kanal')] === 'på papir')!;
    expect(paper[col('reference')]).toBe(`'${PAPER_REFERENCE}`);
    const consentRows = rows.filter((r) => r[col('afsnit')] === 'samtykke');
    expect(consentRows.map((r) => r[col('navn')])).toEqual(['Astrid', 'Datter Dorte', '']);
    const readings = rows.filter((r) => r[col('afsnit')] === 'måling');
    expect(readings.length).toBeGreaterThan(0);
    expect(readings[0]![col('type')]).toBe('Faldsensor');
    expect(readings[0]![col('værdi')]).toBe('1');
    expect(
      readings.filter((r) => r[col('detaljer')]!.startsWith('Test: ')).map((r) => r[col('værdi')]),
    ).toEqual(['0']);
    expect(rows.some((r) => r[col('afsnit')] === 'adgang' && r[col('rolle')] === 'tekniker')).toBe(true);
    // no English code left in a column of fixed values (roles, actions, channels, bases, purposes, states)
    for (const name of [
      'afsnit',
      'rolle',
      'handling',
      'kanal',
      'retsgrundlag',
      'formål',
      'status',
      'udfald',
      'type',
    ]) {
      const codes = rows
        .map((r) => r[col(name)]!)
        .filter((v) => /^[a-z]+([._][a-z]+)*$/.test(v) && /[._]|^[a-z]+$/.test(v));
      const english = codes.filter((v) =>
        /^(own|power|paper|municipal|in_person|phone|web|grant|withdraw|open|acknowledged|resolved|erased|failed|citizen|relative|staff|technician|admin|alerts|history|care|maintenance|administration|quality)\b|[._]/.test(
          v,
        ),
      );
      expect(english, name).toEqual([]);
    }
  });

  it('exports the CSV with English columns and values on lang=en, still `;` and a byte-order mark', async () => {
    const res = await fetch(`${platform.dashboardUrl}/api/homes/home-a/export?format=csv&lang=en`, {
      headers: { cookie: relative.sessionCookie },
    });
    expect(res.status).toBe(200);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header?.slice(0, 5)).toEqual([
      'section',
      'time (Europe/Copenhagen)',
      'actor_role',
      'actor_name',
      'action',
    ]);
    const col = (name: string) => header!.indexOf(name);
    const alert = rows.find((r) => r[col('section')] === 'alert')!;
    expect(alert[col('note')]).toBe(NOTE);
    expect(alert[col('outcome')]).toBe('real_incident');
    expect(rows.find((r) => r[col('section')] === 'reading')![col('kind')]).toBe('fall');
  });

  it('marks a test alert "Test:" in the CSV export an administrator downloads; the citizen\'s export has none', async () => {
    const { outcome } = await technician.ok<{ outcome: { reason: string; alert: { id: string } | null } }>(
      'POST',
      '/api/devices/fall-a/test-reading',
      { kind: 'fall', value: 1 },
    );
    expect(outcome.reason).toBe('raised');
    const csv = async (who: ApiClient, lang: 'da' | 'en') => {
      const res = await fetch(`${platform.dashboardUrl}/api/homes/home-a/export?format=csv&lang=${lang}`, {
        headers: { cookie: who.sessionCookie },
      });
      expect(res.status).toBe(200);
      const [header, ...rows] = parseCsv(new TextDecoder('utf-8').decode(await res.arrayBuffer()));
      return { header: header!, rows };
    };
    const da = await csv(admin, 'da');
    const daCol = (name: string) => da.header.indexOf(name);
    const alertRows = da.rows.filter((r) => r[daCol('afsnit')] === 'alarm');
    const marked = alertRows.filter((r) => r[daCol('detaljer')]!.startsWith('Test: '));
    // the test alert, and only it: the real fall beside it is not marked
    expect(marked).toHaveLength(1);
    expect(marked[0]![daCol('detaljer')]).toMatch(/^Test: en testalarm, ikke en rigtig hændelse; /);
    expect(alertRows.length).toBeGreaterThan(marked.length);
    const en = await csv(admin, 'en');
    const enCol = (name: string) => en.header.indexOf(name);
    expect(
      en.rows.filter((r) => r[enCol('section')] === 'alert' && r[enCol('detail')]!.startsWith('Test: ')),
    ).toHaveLength(1);
    // the citizen's and relative's export leaves test alerts out altogether
    const own = await csv(relative, 'da');
    const ownCol = (name: string) => own.header.indexOf(name);
    const ownAlerts = own.rows.filter((r) => r[ownCol('afsnit')] === 'alarm');
    expect(ownAlerts.length).toBeGreaterThan(0);
    expect(ownAlerts.filter((r) => r[ownCol('detaljer')]!.startsWith('Test'))).toEqual([]);
    await admin.ok('POST', `/api/alerts/${outcome.alert!.id}/resolve`, { outcome: 'no_action_needed' });
  });

  it('erases the home’s readings in InfluxDB on request, leaves other homes alone, and records it', async () => {
    const fallB = await device('fall-b');
    const sentB = await publishFall(fallB, 'home-b', 'fall-b');
    await eventually(async () => (await storedSeqs('home-b')).includes(sentB.seq), {
      what: "home B's reading in InfluxDB",
    });
    expect((await storedSeqs('home-a')).length).toBeGreaterThan(0);

    expect(await technician.request('POST', '/api/homes/home-a/erasure-requests', {})).toMatchObject({
      status: 403,
      body: { error: 'forbidden' },
    });
    // nothing but an empty body is a request: a scope the platform does not offer is refused, not ignored
    const wider = await citizenA.request('POST', '/api/homes/home-a/erasure-requests', {
      scope: 'everything',
    });
    expect(wider.status).toBe(400);
    expect(wider.body).toMatchObject({
      error: 'bad_request',
      issues: [{ in: 'body', path: 'scope', message: 'unknown field' }],
    });
    expect((await staffB.request('POST', '/api/homes/home-a/erasure-requests', {})).status).toBe(404);
    const { request } = await citizenA.ok<{ request: Record<string, unknown> }>(
      'POST',
      '/api/homes/home-a/erasure-requests',
      {},
    );
    expect(request).toMatchObject({
      homeId: 'home-a',
      requestedBy: citizenA.user!.id,
      requesterRole: 'citizen',
      onBehalfOf: null,
      scope: 'readings',
      result: 'erased',
    });

    // Asked of InfluxDB itself, not through our adapter.
    const count = async (home: string) => {
      const q = `SELECT count("value") FROM "reading" WHERE "home" = '${home}'`;
      const r = await fetch(`${inject('influxUrl')}/query?db=${database}&q=${encodeURIComponent(q)}`);
      const json = (await r.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
      return (json.results[0]?.series?.[0]?.values[0]?.[1] as number | undefined) ?? 0;
    };
    expect(await count('home-a')).toBe(0);
    expect(await count('home-b')).toBeGreaterThan(0);
    expect(await storedSeqs('home-a')).toEqual([]);
    expect(await storedSeqs('home-b')).toContain(sentB.seq);

    const { requests } = await citizenA.ok<{ requests: Array<{ result: string }> }>(
      'GET',
      '/api/homes/home-a/erasure-requests',
    );
    expect(requests).toMatchObject([{ result: 'erased' }]);
    const exported = await citizenA.ok<{ readings: unknown[]; erasureRequests: unknown[] }>(
      'GET',
      '/api/homes/home-a/export?format=json',
    );
    expect(exported.readings).toEqual([]);
    expect(exported.erasureRequests).toHaveLength(1);
    const audit = await platform.store.audit.listByHome('home-a');
    expect(audit.find((e) => e.action === 'erasure.request')).toMatchObject({
      actorId: citizenA.user!.id,
      detail: 'readings: erased',
    });

    // the record of it is append-only, in the database itself
    const db = new Database(platform.config.sqlitePath);
    try {
      expect(() => db.prepare("UPDATE erasure_requests SET result = 'failed'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM erasure_requests').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('after revocation the relative gets 404 for that citizen too', async () => {
    expect((await staffB.request('DELETE', `/api/homes/home-a/powers-of-attorney/${powerId}`)).status).toBe(
      404,
    );
    expect((await relative.request('DELETE', `/api/homes/home-a/powers-of-attorney/${powerId}`)).status).toBe(
      403,
    );
    const notAnId = await staffA.request('DELETE', '/api/homes/home-a/powers-of-attorney/1e3');
    expect(notAnId.status).toBe(400);
    expect(notAnId.body).toMatchObject({ error: 'bad_request', issues: [{ in: 'path', path: 'id' }] });
    expect((await staffA.request('DELETE', `/api/homes/home-a/powers-of-attorney/${powerId}`)).status).toBe(
      204,
    );
    expect((await staffA.request('DELETE', `/api/homes/home-a/powers-of-attorney/${powerId}`)).status).toBe(
      404,
    );
    for (const path of [
      '/api/homes/home-a/consent',
      '/api/homes/home-a/overview',
      '/api/homes/home-a/alerts',
      '/api/homes/home-a/access-log',
      '/api/homes/home-a/export',
    ]) {
      expect((await relative.request('GET', path)).status, path).toBe(404);
    }
    expect((await relative.ok<{ homes: unknown[] }>('GET', '/api/homes')).homes).toEqual([]);
    // the citizen still sees what their relative did, by name, and the revocation
    const { entries } = await citizenA.ok<{ entries: AccessEntry[] }>('GET', '/api/homes/home-a/access-log');
    expect(entries.find((e) => e.action === 'power_of_attorney.revoke')).toMatchObject({
      actorRole: 'staff',
      actorName: 'Sosu Anna',
    });
    expect(entries.find((e) => e.actorRole === 'relative')?.actorName).toBe('Datter Dorte');
  });
});

describe('the citizen side when the time-series store is missing or fails, and in the API document', () => {
  const password = 'password-123';
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  let dashboard: Dashboard;
  let citizen: ApiClient;
  let erasures = 0;

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await f.home('home-a', ['fall']);
    await addUser(f, 'astrid', 'citizen', password, { homeId: 'home-a' });
    // no reading store at all, and an erasure that fails as InfluxDB being down would
    dashboard = await startTestDashboard(f, {
      eraseHomeReadings: async () => {
        erasures++;
        throw new Error('connect ECONNREFUSED 127.0.0.1:8086');
      },
    });
    citizen = await ApiClient.login(dashboard.url, 'astrid', password);
  });
  afterAll(async () => {
    await dashboard?.close();
    await f?.close();
  });

  it('the export says the store is unavailable, in the error envelope, and is not an attachment', async () => {
    for (const format of ['json', 'csv']) {
      const res = await fetch(`${dashboard.url}/api/homes/home-a/export?format=${format}`, {
        headers: { cookie: citizen.sessionCookie },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(await res.json()).toEqual({ error: 'unavailable', message: expect.any(String) });
    }
  });

  it('a failed erasure is a 503 that names no internals, and is recorded as failed', async () => {
    const res = await citizen.request('POST', '/api/homes/home-a/erasure-requests');
    expect(erasures).toBe(1);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'unavailable', message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|8086/);
    const { requests } = await citizen.ok<{ requests: Array<Record<string, unknown>> }>(
      'GET',
      '/api/homes/home-a/erasure-requests',
    );
    expect(requests).toMatchObject([{ result: 'failed', requesterRole: 'citizen', scope: 'readings' }]);
    expect(String(requests[0]!.detail)).not.toMatch(/ECONNREFUSED|8086/);
  });

  it('the API document lists the citizen routes, with the export as JSON or CSV', async () => {
    const doc = (await (await fetch(`${dashboard.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    for (const [path, method] of [
      ['/api/homes/{homeId}/overview', 'get'],
      ['/api/homes/{homeId}/alerts', 'get'],
      ['/api/homes/{homeId}/access-log', 'get'],
      ['/api/homes/{homeId}/export', 'get'],
      ['/api/homes/{homeId}/erasure-requests', 'get'],
      ['/api/homes/{homeId}/erasure-requests', 'post'],
      ['/api/homes/{homeId}/powers-of-attorney', 'get'],
      ['/api/homes/{homeId}/powers-of-attorney', 'post'],
      ['/api/homes/{homeId}/powers-of-attorney/{id}', 'delete'],
    ] as const)
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const exp = doc.paths['/api/homes/{homeId}/export']!.get as {
      'x-access': string[];
      parameters: Array<{ name: string; in: string; schema: { enum?: string[] } }>;
      responses: Record<
        string,
        {
          content?: Record<string, { schema: { type?: string; description?: string } }>;
          headers?: Record<string, unknown>;
        }
      >;
    };
    expect(exp['x-access']).toEqual(['citizen', 'relative', 'admin']);
    expect(exp.parameters.find((p) => p.name === 'format')).toMatchObject({
      in: 'query',
      schema: { enum: ['json', 'csv'] },
    });
    expect(exp.parameters.find((p) => p.name === 'lang')).toMatchObject({
      in: 'query',
      schema: { enum: ['da', 'en'] },
    });
    expect(Object.keys(exp.responses['200']!.content!)).toEqual(['application/json', 'text/csv']);
    const csv = exp.responses['200']!.content!['text/csv']!.schema;
    expect(csv.type).toBe('string');
    // what a CSV holds is told in the document: the columns, and how formula-like cells are kept
    expect(csv.description).toMatch(/RFC 4180 with `;`/);
    expect(csv.description).toMatch(/decimal comma/);
    expect(csv.description).toContain('section, time, actor_role, actor_name, action');
    expect(csv.description).toContain('afsnit, tid, rolle, navn, handling');
    expect(csv.description).toMatch(/apostrophe/);
    expect(exp.responses['200']!.headers).toHaveProperty('Content-Disposition');
    expect(Object.keys(exp.responses)).toEqual(expect.arrayContaining(['403', '404', '503']));
  });
});
