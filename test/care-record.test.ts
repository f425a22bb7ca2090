import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildAlertDocument,
  type FhirValidator,
  fhirValidator,
  NotDocumentable,
  SYSTEMS,
} from '../services/care-record/index.ts';
import type { Alert, AuditEntry, ConsentEvent } from '../services/domain/index.ts';

const GOLDEN = join(import.meta.dirname, 'fixtures/care-record/alert-bundle.json');
const T0 = Date.UTC(2026, 2, 2, 2, 10);
const MIN = 60_000;

/** a fall at night, handled by two staff members: the fixed alert of the golden file */
function handledFall(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'a-fall-1',
    homeId: 'h-7f3a',
    rule: 'fall',
    category: 'emergency',
    severity: 'critical',
    audience: 'care',
    state: 'resolved',
    openedAt: T0,
    lastSeenAt: T0,
    repeats: 0,
    evidence: {
      readings: [{ deviceId: 'd-fall-1', kind: 'fall', value: 1, ts: T0 - 2_000 }],
      summary: 'Faldsensoren i soveværelset meldte et fald.',
    },
    acknowledgedBy: 'u-anna',
    acknowledgedAt: T0 + 40_000,
    enRouteBy: 'u-anna',
    enRouteAt: T0 + 2 * MIN,
    arrivedBy: 'u-bo',
    arrivedAt: T0 + 14 * MIN,
    resolvedBy: 'u-bo',
    resolvedAt: T0 + 31 * MIN,
    outcome: 'real_incident',
    note: 'Fundet på gulvet ved sengen, hjulpet op. Ingen synlige skader. Egen læge orienteret <i>i morgen</i> & pårørende ringet op.',
    legalBasis: null,
    test: false,
    escalationLevel: 0,
    ...overrides,
  };
}

const STAFF = { 'u-anna': 'Anna Holm', 'u-bo': 'Bo Jensen' };

const consentEvents: ConsentEvent[] = [
  {
    id: 11,
    homeId: 'h-7f3a',
    category: 'emergency',
    purpose: 'alerts',
    action: 'grant',
    actorId: 'u-citizen',
    actorRole: 'citizen',
    onBehalfOf: null,
    channel: 'web',
    textVersion: 'emergency-alerts-2026-2',
    reference: null,
    basis: 'own_consent',
    reviewDue: null,
    at: T0 - 30 * 24 * 60 * MIN,
  },
];
const reads: AuditEntry[] = [
  {
    id: 91,
    at: T0 + 35 * MIN,
    actorId: 'u-anna',
    actorRole: 'staff',
    action: 'alert.read',
    homeId: 'h-7f3a',
    purpose: 'care',
    detail: 'a-fall-1',
  },
];

describe('a handled alert as a FHIR R4 document', () => {
  let validate: FhirValidator;
  beforeAll(async () => {
    validate = await fhirValidator();
  }, 30_000);

  const build = (alert = handledFall(), extra = {}) =>
    buildAlertDocument({
      alert,
      timezone: 'Europe/Copenhagen',
      staffNames: STAFF,
      at: T0 + 32 * MIN,
      ...extra,
    });

  it('the whole bundle and every entry are valid against the base R4 structure definitions', () => {
    const bundle = build(handledFall(), { consentEvents, reads });
    expect(validate(bundle)).toEqual([]);
    for (const entry of bundle.entry)
      expect(validate(entry.resource), entry.resource.resourceType).toEqual([]);
    expect(bundle.entry.map((e) => e.resource.resourceType)).toEqual([
      'Composition',
      'Device',
      'Practitioner',
      'Practitioner',
      'Observation',
      'DetectedIssue',
      'Encounter',
      'Consent',
      'AuditEvent',
      'Provenance',
    ]);
  });

  it('the validator is real: a document without its Composition first, or an Encounter without class, is refused', () => {
    const bundle = build();
    const swapped = { ...bundle, entry: [...bundle.entry].reverse() };
    expect(
      validate(swapped)
        .map((i) => i.message)
        .join(' '),
    ).toMatch(/bdl-11/);
    const encounter = structuredClone(
      bundle.entry.find((e) => e.resource.resourceType === 'Encounter')!.resource,
    );
    delete encounter.class;
    expect(validate(encounter).map((i) => i.expression)).toContain('Encounter.class');
  });

  it('matches the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
    const bundle = build(handledFall(), { consentEvents, reads });
    const text = `${JSON.stringify(bundle, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('carries the chain: opened to resolved, who acknowledged, set out, arrived and resolved, and when', () => {
    const bundle = build();
    const encounter = bundle.entry.find((e) => e.resource.resourceType === 'Encounter')!
      .resource as unknown as {
      period: { start: string; end: string };
      participant: Array<{
        type: Array<{ coding: Array<{ code: string }> }>;
        period: { start: string };
        individual: { display: string };
      }>;
    };
    expect(encounter.period).toEqual({
      start: new Date(T0).toISOString(),
      end: new Date(T0 + 31 * MIN).toISOString(),
    });
    expect(
      encounter.participant.map((p) => [p.type[0]!.coding[0]!.code, p.period.start, p.individual.display]),
    ).toEqual([
      ['acknowledged', new Date(T0 + 40_000).toISOString(), 'Anna Holm'],
      ['en-route', new Date(T0 + 2 * MIN).toISOString(), 'Anna Holm'],
      ['arrived', new Date(T0 + 14 * MIN).toISOString(), 'Bo Jensen'],
      ['resolved', new Date(T0 + 31 * MIN).toISOString(), 'Bo Jensen'],
    ]);
    // "fremme" without "på vej" leaves the setting out unknown, not invented
    const direct = build(handledFall({ enRouteBy: null, enRouteAt: null }));
    const steps = (
      direct.entry.find((e) => e.resource.resourceType === 'Encounter')!
        .resource as unknown as typeof encounter
    ).participant.map((p) => p.type[0]!.coding[0]!.code);
    expect(steps).toEqual(['acknowledged', 'arrived', 'resolved']);
  });

  it("the responder's note is text, never markup, in the Composition", () => {
    const bundle = build();
    const composition = bundle.entry[0]!.resource as unknown as {
      section: Array<{ title: string; text: { div: string } }>;
    };
    const note = composition.section.find((s) => s.title === 'Notat')!;
    expect(note.text.div).toContain('&lt;i&gt;i morgen&lt;/i&gt; &amp; pårørende');
    expect(note.text.div).not.toContain('<i>');
  });

  it('codes: our own code systems for alert and sensor kinds, UCUM for quantities, no LOINC or SNOMED', () => {
    const cold = build(
      handledFall({
        rule: 'temperature_low',
        category: 'environment',
        severity: 'high',
        evidence: {
          readings: [{ deviceId: 'd-t', kind: 'temperature', value: 14.5, ts: T0 }],
          summary: 'Under 16 °C i 2 timer.',
        },
      }),
    );
    expect(validate(cold)).toEqual([]);
    const text = JSON.stringify(cold);
    expect(text).not.toMatch(/loinc\.org|snomed\.info/);
    const obs = cold.entry.find((e) => e.resource.resourceType === 'Observation')!.resource;
    expect(obs.code).toMatchObject({ coding: [{ system: SYSTEMS.sensorKind, code: 'temperature' }] });
    expect(obs.valueQuantity).toEqual({
      value: 14.5,
      unit: '°C',
      system: 'http://unitsofmeasure.org',
      code: 'Cel',
    });
    const issue = cold.entry.find((e) => e.resource.resourceType === 'DetectedIssue')!.resource;
    expect(issue.code).toMatchObject({ coding: [{ system: SYSTEMS.alertKind, code: 'temperature_low' }] });
    expect(issue.severity).toBe('high');
  });

  it('is the same document whenever it is built from the same record (ids derived from the alert)', () => {
    expect(JSON.stringify(build())).toBe(JSON.stringify(build()));
    const other = build(handledFall({ id: 'a-fall-2' }));
    expect(other.entry[0]!.fullUrl).not.toBe(build().entry[0]!.fullUrl);
  });

  it('refuses what is not a handled care alert', () => {
    expect(() => build(handledFall({ state: 'acknowledged', resolvedAt: null, outcome: null }))).toThrow(
      NotDocumentable,
    );
    expect(() => build(handledFall({ test: true }))).toThrow(/test alert/);
    expect(() => build(handledFall({ audience: 'technical', rule: 'low_battery' }))).toThrow(/technical/);
  });
});
