import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { catalog } from '../dashboard/web/src/messages/catalog.ts';
import { type Bundle, type FhirValidator, fhirValidator } from '../services/care-record/index.ts';
import type { Alert } from '../services/domain/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';
const errors = catalog.da.errors as Record<string, string>;

/** Issue 13 point 5: a handled alert downloaded as the care record's FHIR document, by consent only. */
describe('GET /api/alerts/:id/care-record', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let staff: ApiClient;
  let citizen: ApiClient;
  let validate: FhirValidator;

  beforeAll(async () => {
    validate = await fhirValidator();
  }, 30_000);

  beforeEach(async () => {
    f = await servicesFixture(Date.UTC(2026, 2, 2, 2, 10));
    await f.home('h1', ['fall']);
    await f.store.teams.create({ id: 'other', name: 'Other' });
    await f.setConsent('h1', 'emergency', 'alerts');
    await f.setConsent('h1', 'emergency', 'care_record');
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    await addUser(f, 'olga', 'staff', PASSWORD, { teamIds: ['other'] });
    await addUser(f, 'tekla', 'technician', PASSWORD);
    await addUser(f, 'borger', 'citizen', PASSWORD, { homeId: 'h1' });
    dashboard = await startTestDashboard(f);
    staff = await ApiClient.login(dashboard.url, 'anna', PASSWORD);
    citizen = await ApiClient.login(dashboard.url, 'borger', PASSWORD);
  });
  afterEach(async () => {
    await dashboard.close();
    await f.close();
  });

  const raise = async () =>
    (await f.alerts.raise({
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

  const handled = async () => {
    const alert = await raise();
    f.clock.advance(30_000);
    await staff.ok('POST', `/api/alerts/${alert.id}/en-route`, {});
    f.clock.advance(10 * 60_000);
    await staff.ok('POST', `/api/alerts/${alert.id}/arrived`, {});
    f.clock.advance(15 * 60_000);
    await staff.ok('POST', `/api/alerts/${alert.id}/resolve`, {
      outcome: 'real_incident',
      note: 'Hjulpet op fra gulvet.',
    });
    return alert;
  };

  const download = (client: ApiClient, path: string) =>
    fetch(`${dashboard.url}${path}`, { headers: { cookie: client.sessionCookie } });

  it("staff of the home's team download a valid FHIR document; the download is audited and in the citizen's access log", async () => {
    const alert = await handled();
    // a read of the home's data since the alert opened: it goes in as an AuditEvent
    await staff.ok('GET', `/api/alerts/${alert.id}`);
    const res = await download(staff, `/api/alerts/${alert.id}/care-record?consent=1&reads=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="tryghed-alarm-${alert.id}.fhir.json"`,
    );
    const bundle = (await res.json()) as Bundle;
    expect(validate(bundle)).toEqual([]);
    const types = bundle.entry.map((e) => e.resource.resourceType);
    expect(types[0]).toBe('Composition');
    expect(types).toEqual(
      expect.arrayContaining(['DetectedIssue', 'Encounter', 'Provenance', 'Consent', 'AuditEvent']),
    );
    // the staff member as the record holds her, and the note she wrote
    expect(JSON.stringify(bundle)).toContain('"display":"anna"');
    expect(JSON.stringify(bundle)).toContain('Hjulpet op fra gulvet.');

    const audit = await f.store.audit.listByHome('h1');
    expect(audit.find((e) => e.action === 'care_record.download')).toMatchObject({
      actorId: staff.user!.id,
      purpose: 'care_record',
      detail: alert.id,
    });
    const { entries } = await citizen.ok<{
      entries: Array<{ action: string; purpose: string; actorName: string | null }>;
    }>('GET', '/api/homes/h1/access-log');
    expect(entries.find((e) => e.action === 'care_record.download')).toMatchObject({
      purpose: 'care_record',
      actorName: 'anna',
    });
    const da = catalog.da.citizen as Record<string, string>;
    expect(da.did_care_record_download).toMatch(/journal/);
    expect(da.why_care_record).toBe('deling med journal');
  });

  it('a withdrawal takes effect at once: 403 no_care_record_consent, nothing audited as downloaded', async () => {
    const alert = await handled();
    expect((await download(staff, `/api/alerts/${alert.id}/care-record`)).status).toBe(200);
    await citizen.ok('POST', '/api/homes/h1/consent', {
      category: 'emergency',
      purpose: 'care_record',
      action: 'withdraw',
      textVersion: 'emergency-care-record-2026-1',
    });
    const refused = await download(staff, `/api/alerts/${alert.id}/care-record`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: 'forbidden',
      reason: 'no_care_record_consent',
      detail: { category: 'emergency' },
    });
    expect(errors.reason_no_care_record_consent).toMatch(/deling med journal/);
    const downloads = (await f.store.audit.listByHome('h1')).filter(
      (e) => e.action === 'care_record.download',
    );
    expect(downloads).toHaveLength(1);
  });

  it('without any yes to sharing, nothing is downloadable; the alerts consent alone is not enough', async () => {
    await f.setConsent('h1', 'emergency', 'care_record', 'withdraw');
    const alert = await handled();
    const res = await download(staff, `/api/alerts/${alert.id}/care-record`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ reason: 'no_care_record_consent' });
  });

  it('another team gets 404, a technician 403, an alert still open 409', async () => {
    const alert = await raise();
    expect((await download(staff, `/api/alerts/${alert.id}/care-record`)).status).toBe(409);
    const open = await download(staff, `/api/alerts/${alert.id}/care-record`);
    expect(await open.json()).toMatchObject({ reason: 'care_record_not_resolved' });
    await staff.ok('POST', `/api/alerts/${alert.id}/resolve`, { outcome: 'false_alarm', note: '' });
    const olga = await ApiClient.login(dashboard.url, 'olga', PASSWORD);
    expect((await download(olga, `/api/alerts/${alert.id}/care-record`)).status).toBe(404);
    const tekla = await ApiClient.login(dashboard.url, 'tekla', PASSWORD);
    expect((await download(tekla, `/api/alerts/${alert.id}/care-record`)).status).toBe(403);
    expect((await download(citizen, `/api/alerts/${alert.id}/care-record`)).status).toBe(403);
  });
});
