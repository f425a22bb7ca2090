import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../platform/start.ts';
import {
  type ConsentCategory,
  informationText,
  type LegalBasisRef,
  type Purpose,
  topics,
  type WireReading,
} from '../services/domain/index.ts';
import { ManualClock } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from './harness/platform.ts';

const DAY = 86_400_000;
const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);

interface ErrorBody {
  error: string;
  message: string;
  issues?: Array<{ path: string; message: string }>;
}
interface EventBody {
  event: {
    id: number;
    basis: string | null;
    channel: string;
    onBehalfOf: string | null;
    reference: string | null;
    reviewDue: string | null;
    actorRole: string;
  };
}

/**
 * Each legal basis of monitoring, on the real platform: who may record which, what each needs,
 * and that an alert carries the basis it was raised under.
 */
describe('legal basis of monitoring', () => {
  const dir = tempDir();
  const database = uniqueDatabase('basis');
  // Noon UTC, so "today" is the same date in Copenhagen and in UTC.
  const clock = new ManualClock(Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000);
  let platform: Platform;
  let admin: ApiClient;
  let citizen: ApiClient;
  let relative: ApiClient;
  let staffA: ApiClient;
  let staffB: ApiClient;
  let technician: ApiClient;
  let device: MqttClient;
  let relativeId: string;
  const password = 'password-123';
  const grant = { action: 'grant' } as const;
  const shown = (category: ConsentCategory, purpose: Purpose) => informationText(category, purpose).version;

  beforeAll(async () => {
    platform = await startTestPlatform({ dataDir: dir.path, database, clock });
    const url = platform.dashboardUrl;
    admin = await ApiClient.login(url, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', { id: 'team-a', name: 'Team A' });
    await admin.ok('POST', '/api/teams', { id: 'team-b', name: 'Team B' });
    await admin.ok('POST', '/api/homes', { id: 'home-a', label: 'Borger A', teamId: 'team-a' });
    await admin.ok('POST', '/api/homes', { id: 'home-b', label: 'Borger B', teamId: 'team-b' });
    const { secret } = await admin.ok<{ secret: string }>('POST', '/api/homes/home-a/devices', {
      id: 'fall-a',
      kinds: ['fall', 'smoke'],
    });
    const users: Array<Record<string, unknown>> = [
      { username: 'citizen-a', role: 'citizen', homeId: 'home-a' },
      { username: 'relative-r', role: 'relative' },
      { username: 'staff-a', role: 'staff', teamIds: ['team-a'] },
      { username: 'staff-b', role: 'staff', teamIds: ['team-b'] },
      { username: 'tech', role: 'technician' },
    ];
    for (const u of users) {
      const created = await admin.ok<{ user: { id: string } }>('POST', '/api/users', {
        password,
        displayName: String(u.username),
        ...u,
      });
      if (u.username === 'relative-r') relativeId = created.user.id;
    }
    citizen = await ApiClient.login(url, 'citizen-a', password);
    relative = await ApiClient.login(url, 'relative-r', password);
    staffA = await ApiClient.login(url, 'staff-a', password);
    staffB = await ApiClient.login(url, 'staff-b', password);
    technician = await ApiClient.login(url, 'tech', password);
    device = await mqtt.connectAsync(platform.mqttUrl, {
      clientId: 'fall-a',
      username: 'fall-a',
      password: secret,
      reconnectPeriod: 0,
    });
  });

  afterAll(async () => {
    await device?.endAsync();
    await platform?.close();
    dir.remove();
  });

  it("the citizen's own consent: recorded as such, only for their own home", async () => {
    const { event } = await citizen.ok<EventBody>('POST', '/api/homes/home-a/consent', {
      ...grant,
      category: 'emergency',
      purpose: 'alerts',
      textVersion: shown('emergency', 'alerts'),
    });
    expect(event).toMatchObject({ basis: 'own_consent', channel: 'web', actorRole: 'citizen' });
    const other = await citizen.request('POST', '/api/homes/home-b/consent', {
      ...grant,
      category: 'emergency',
      purpose: 'alerts',
      textVersion: shown('emergency', 'alerts'),
    });
    expect(other.status).toBe(404);
    // a citizen cannot pass their own grant off as something else
    const posing = await citizen.request('POST', '/api/homes/home-a/consent', {
      ...grant,
      category: 'door',
      purpose: 'alerts',
      textVersion: shown('door', 'alerts'),
      basis: 'municipal_decision',
      reference: 'x',
      reviewDue: isoDate(clock.now() + 100 * DAY),
    });
    expect(posing.status).toBe(400);
    expect(platform.consent.allows('home-a', 'door', 'alerts')).toBe(false);
  });

  it('a relative acts only under a verified power of attorney, for that citizen only', async () => {
    const body = {
      ...grant,
      category: 'environment',
      purpose: 'alerts',
      textVersion: shown('environment', 'alerts'),
    };
    expect((await relative.request('POST', '/api/homes/home-a/consent', body)).status).toBe(404);

    const poa = await platform.registry.grantPowerOfAttorney({
      relativeUserId: relativeId,
      homeId: 'home-a',
      verifiedBy: 'staff-a',
      reference: 'Fuldmagt j.nr. 2026-17',
      at: clock.now(),
    });
    const { event } = await relative.ok<EventBody>('POST', '/api/homes/home-a/consent', body);
    expect(event).toMatchObject({
      basis: 'power_of_attorney',
      onBehalfOf: 'citizen:home-a',
      actorRole: 'relative',
    });
    expect(platform.consent.basis('home-a', 'environment', 'alerts')?.basis).toBe('power_of_attorney');
    // ...never for another citizen
    expect((await relative.request('POST', '/api/homes/home-b/consent', body)).status).toBe(404);

    await platform.registry.revokePowerOfAttorney('home-a', poa.id, 'staff-a', clock.now());
    const after = await relative.request('POST', '/api/homes/home-a/consent', {
      ...body,
      action: 'withdraw',
    });
    expect(after.status).toBe(404);
    expect(platform.consent.allows('home-a', 'environment', 'alerts')).toBe(true);
  });

  it('a paper form, recorded by staff of the home’s team, needs its reference', async () => {
    const body = {
      ...grant,
      category: 'activity',
      purpose: 'alerts',
      textVersion: shown('activity', 'alerts'),
    };
    const unnamed = (await staffA.request('POST', '/api/homes/home-a/consent', body)) as {
      status: number;
      body: ErrorBody;
    };
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.issues?.[0]?.path).toBe('basis');

    const noReference = (await staffA.request('POST', '/api/homes/home-a/consent', {
      ...body,
      basis: 'paper_form',
    })) as { status: number; body: ErrorBody };
    expect(noReference.status).toBe(400);
    expect(noReference.body.issues?.map((i) => i.path)).toContain('reference');

    const { event } = await staffA.ok<EventBody>('POST', '/api/homes/home-a/consent', {
      ...body,
      basis: 'paper_form',
      reference: 'Blanket 2026-0042',
    });
    expect(event).toMatchObject({ basis: 'paper_form', channel: 'paper', reference: 'Blanket 2026-0042' });
    expect(event.onBehalfOf).toBe('citizen:home-a');

    // staff of another team cannot see the home, a technician may not record consent at all
    const form = { ...body, basis: 'paper_form', reference: 'x' };
    expect((await staffB.request('POST', '/api/homes/home-a/consent', form)).status).toBe(404);
    expect((await technician.request('POST', '/api/homes/home-a/consent', form)).status).toBe(403);
  });

  it('a § 128 a decision needs a case reference and a future review date; staff see when it is due and overdue', async () => {
    const body = {
      ...grant,
      category: 'door',
      purpose: 'alerts',
      textVersion: shown('door', 'alerts'),
      basis: 'municipal_decision',
      reference: 'Sag 2026-128a-7',
    };
    const noDate = (await staffA.request('POST', '/api/homes/home-a/consent', body)) as {
      status: number;
      body: ErrorBody;
    };
    expect(noDate.status).toBe(400);
    expect(noDate.body.issues?.map((i) => i.path)).toContain('reviewDue');
    const past = await staffA.request('POST', '/api/homes/home-a/consent', {
      ...body,
      reviewDue: isoDate(clock.now() - DAY),
    });
    expect(past.status).toBe(400);

    const reviewDue = isoDate(clock.now() + 10 * DAY);
    const { event } = await staffA.ok<EventBody>('POST', '/api/homes/home-a/consent', {
      ...body,
      reviewDue,
    });
    expect(event).toMatchObject({ basis: 'municipal_decision', reviewDue, reference: body.reference });

    type Reviews = {
      reviews: Array<{ homeId: string; category: string; reviewDue: string; overdue: boolean }>;
    };
    const due = await staffA.ok<Reviews>('GET', '/api/consent/reviews');
    expect(due.reviews).toEqual([
      expect.objectContaining({ homeId: 'home-a', category: 'door', reviewDue, overdue: false }),
    ]);
    expect((await staffB.ok<Reviews>('GET', '/api/consent/reviews')).reviews).toEqual([]);

    // a jump, not time passing: the platform's timers fire once, not once per tick of eleven days
    clock.set(clock.now() + 11 * DAY);
    // (eleven days on, every session has long expired: log in again)
    staffA = await ApiClient.login(platform.dashboardUrl, 'staff-a', password);
    citizen = await ApiClient.login(platform.dashboardUrl, 'citizen-a', password);
    const overdue = await staffA.ok<Reviews>('GET', '/api/consent/reviews');
    expect(overdue.reviews[0]).toMatchObject({ reviewDue, overdue: true });
    // the citizen does not see the municipality's review list, and a withdrawal ends the decision's scope
    expect((await citizen.request('GET', '/api/consent/reviews')).status).toBe(403);
  });

  it('an alert carries the legal basis it was raised under', async () => {
    const reading: WireReading = { kind: 'fall', value: 1, ts: clock.now(), seq: 1 };
    await device.publishAsync(topics.readings('home-a', 'fall-a'), JSON.stringify(reading), { qos: 1 });
    const alert = await eventually(async () => {
      const [found] = await platform.alerts.list({ homeIds: ['home-a'], states: ['open'] });
      return found;
    });
    const { events } = await citizen.ok<{ events: Array<{ id: number; category: string; purpose: string }> }>(
      'GET',
      '/api/homes/home-a/consent',
    );
    const granting = events.find((e) => e.category === 'emergency' && e.purpose === 'alerts');
    expect(alert.rule).toBe('fall');
    expect(alert.legalBasis).toMatchObject<Partial<LegalBasisRef>>({
      basis: 'own_consent',
      eventId: granting?.id,
      textVersion: shown('emergency', 'alerts'),
    });
    // and staff see it in the alert itself
    const seen = await staffA.ok<{ alert: { legalBasis: LegalBasisRef } }>('GET', `/api/alerts/${alert.id}`);
    expect(seen.alert.legalBasis.basis).toBe('own_consent');
  });
  it('records cannot be forged: who acts and for whom come from the session, the text version from the platform', async () => {
    citizen = await ApiClient.login(platform.dashboardUrl, 'citizen-a', password);
    relative = await ApiClient.login(platform.dashboardUrl, 'relative-r', password);
    const sleep = {
      action: 'grant',
      category: 'sleep',
      purpose: 'alerts',
      textVersion: shown('sleep', 'alerts'),
    };
    const before = await platform.consent.history('home-b');

    // a citizen naming another citizen as the one they act for: refused, nothing recorded anywhere
    const posing = (await citizen.request('POST', '/api/homes/home-a/consent', {
      ...sleep,
      onBehalfOf: 'citizen:home-b',
    })) as { status: number; body: ErrorBody };
    expect(posing.status).toBe(400);
    expect(posing.body.issues?.map((i) => i.path)).toContain('onBehalfOf');
    expect(
      (await citizen.request('POST', '/api/homes/home-b/consent', { ...sleep, onBehalfOf: 'citizen:home-b' }))
        .status,
    ).toBe(400);
    expect(await platform.consent.history('home-b')).toEqual(before);
    expect(platform.consent.allows('home-a', 'sleep', 'alerts')).toBe(false);

    // a reference is not the citizen's to give on their own consent
    const referenced = (await citizen.request('POST', '/api/homes/home-a/consent', {
      ...sleep,
      reference: 'Blanket 1',
    })) as { status: number; body: ErrorBody };
    expect(referenced.status).toBe(400);
    expect(referenced.body.issues?.map((i) => i.path)).toContain('reference');
    // and on a paper form it is a reference, not a line break or a hidden right-to-left override
    for (const reference of ['Blanket\n7', 'Blanket \u202e7', '<b>7</b>']) {
      const paper = await staffA.request('POST', '/api/homes/home-a/consent', {
        ...sleep,
        basis: 'paper_form',
        channel: 'paper',
        reference,
      });
      expect(paper.status, reference).toBe(400);
    }

    // a text version the platform never showed, or one of another kind of monitoring: refused
    for (const textVersion of ['v1', shown('door', 'alerts')]) {
      const bogus = (await citizen.request('POST', '/api/homes/home-a/consent', {
        ...sleep,
        textVersion,
      })) as { status: number; body: ErrorBody };
      expect(bogus.status, textVersion).toBe(400);
      expect(bogus.body.issues?.map((i) => i.path)).toEqual(['textVersion']);
    }
    expect(platform.consent.allows('home-a', 'sleep', 'alerts')).toBe(false);

    // a grant made with a text the platform has since changed: refused, with the current text to show
    const outdated = (await citizen.request('POST', '/api/homes/home-a/consent', {
      action: 'withdraw',
      category: 'emergency',
      purpose: 'alerts',
      textVersion: 'emergency-alerts-2026-1',
    })) as { status: number; body: ErrorBody };
    // (a withdrawal is never held up by a text change: it is recorded with the version shown)
    expect(outdated.status).toBe(200);
    expect(platform.consent.allows('home-a', 'emergency', 'alerts')).toBe(false);
    const stale = (await citizen.request('POST', '/api/homes/home-a/consent', {
      action: 'grant',
      category: 'emergency',
      purpose: 'alerts',
      textVersion: 'emergency-alerts-2026-1',
    })) as { status: number; body: ErrorBody & { detail?: Record<string, string> } };
    expect(stale.status).toBe(409);
    expect(stale.body.detail).toMatchObject({
      reason: 'outdated_text_version',
      currentVersion: informationText('emergency', 'alerts').version,
      currentTextDa: informationText('emergency', 'alerts').body.da,
      currentTextEn: informationText('emergency', 'alerts').body.en,
    });
    expect(platform.consent.allows('home-a', 'emergency', 'alerts')).toBe(false);
    // shown the current text, the citizen decides again
    await citizen.ok('POST', '/api/homes/home-a/consent', {
      action: 'grant',
      category: 'emergency',
      purpose: 'alerts',
      textVersion: stale.body.detail?.currentVersion,
    });
    expect(platform.consent.allows('home-a', 'emergency', 'alerts')).toBe(true);

    // the relative acts for the citizen their recorded power of attorney names, and only as such
    await platform.registry.grantPowerOfAttorney({
      relativeUserId: relativeId,
      homeId: 'home-a',
      verifiedBy: 'staff-a',
      reference: 'Fuldmagt j.nr. 2026-18',
      at: clock.now(),
    });
    const { event } = await relative.ok<EventBody>('POST', '/api/homes/home-a/consent', sleep);
    expect(event).toMatchObject({
      actorRole: 'relative',
      onBehalfOf: 'citizen:home-a',
      basis: 'power_of_attorney',
    });
    expect(
      (
        await relative.request('POST', '/api/homes/home-a/consent', {
          ...sleep,
          onBehalfOf: 'citizen:home-b',
        })
      ).status,
    ).toBe(400);
  });
});
