import type { Alert, AuditEntry, ConsentEvent } from '../domain/index.ts';
import { TryghedError } from '../runtime/index.ts';
import {
  ALERT_KIND_DISPLAY,
  type Coding,
  type HandlingStep,
  issueSeverity,
  OUTCOME_DISPLAY,
  readingValue,
  SENSOR_KIND_DISPLAY,
  STEP_DISPLAY,
  SYSTEMS,
} from './codes.ts';
import {
  type Bundle,
  type BundleEntry,
  concept,
  type FhirResource,
  instant,
  nameUuid,
  narrative,
  type Reference,
} from './fhir.ts';

/** What one handled alert's document is built from: the record as the platform holds it. */
export interface AlertDocumentInput {
  /** a resolved care alert (not a test alert) */
  alert: Alert;
  /** the home's time zone, for the times in the narrative people read */
  timezone: string;
  /** display names of the people named on the alert, by user id, as the record holds them */
  staffNames: Readonly<Record<string, string>>;
  /** when the document is put together (the injected clock) */
  at: number;
  /** consent changes to include as `Consent` (oldest first); left out when absent */
  consentEvents?: readonly ConsentEvent[];
  /** audited reads of the home's data to include as `AuditEvent`; left out when absent */
  reads?: readonly AuditEntry[];
}

/** The alert cannot be documented: not resolved, a test alert, or a technical one. */
export class NotDocumentable extends TryghedError {
  constructor(reason: 'not_resolved' | 'test_alert' | 'technical_alert') {
    const why = {
      not_resolved: 'only a resolved alert is documented in the care record',
      test_alert: 'a test alert is never sent to the care record',
      technical_alert: "a technical alert is the technicians', not the citizen's care record",
    }[reason];
    super('conflict', why, { reason: `care_record_${reason}` });
  }
}

/** the platform itself, as author of the alarm and assembler of the document */
const PLATFORM_DEVICE_NAME = 'Tryghed';

/** Local time as people read it: `2026-03-02 10:04` in the home's time zone. */
function localTime(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const ROLE_DISPLAY: Record<string, string> = {
  citizen: 'Borgeren',
  relative: 'Pårørende med fuldmagt',
  staff: 'Medarbejder i hjemmeplejen',
  admin: 'Administrator',
  technician: 'Tekniker',
  system: 'Systemet',
};

/**
 * One handled alert as a FHIR R4 document (a `Bundle` of type `document`): the `Composition`
 * first, then the alarm as a `DetectedIssue` with the readings that made it fire as `Observation`s,
 * its handling as an `Encounter` (opened to resolved, with who acknowledged, set out, arrived and
 * resolved, and when), the responder's note in the composition, and a `Provenance` naming the
 * platform and the responder. Consent changes (`Consent`) and reads (`AuditEvent`) when asked.
 * Pure: the same input gives the same document, byte for byte.
 */
export function buildAlertDocument(input: AlertDocumentInput): Bundle {
  const { alert, timezone } = input;
  if (alert.test) throw new NotDocumentable('test_alert');
  if (alert.audience !== 'care') throw new NotDocumentable('technical_alert');
  if (alert.state !== 'resolved' || alert.resolvedAt === null || alert.outcome === null)
    throw new NotDocumentable('not_resolved');
  const resolvedAt = alert.resolvedAt;
  const outcome = alert.outcome;

  const entries: BundleEntry[] = [];
  const add = (name: string, resource: FhirResource): Reference => {
    const id = nameUuid(`tryghed/care-record/${alert.id}/${name}`);
    const fullUrl = `urn:uuid:${id}`;
    entries.push({ fullUrl, resource: { ...resource, id } });
    return { reference: fullUrl, type: resource.resourceType };
  };
  const patient: Reference = {
    type: 'Patient',
    identifier: { system: SYSTEMS.homeId, value: alert.homeId },
  };
  const when = (ms: number) => localTime(ms, timezone);

  // who: the platform, and each person named on the alert, once
  const platform = add('device/platform', {
    resourceType: 'Device',
    deviceName: [{ name: PLATFORM_DEVICE_NAME, type: 'user-friendly-name' }],
    text: narrative(['Tryghed: platformen, der rejste alarmen og samlede dokumentet.']),
  });
  const practitioners = new Map<string, Reference>();
  const person = (userId: string): Reference => {
    let ref = practitioners.get(userId);
    if (!ref) {
      const name = input.staffNames[userId];
      ref = add(`practitioner/${userId}`, {
        resourceType: 'Practitioner',
        identifier: [{ system: SYSTEMS.userId, value: userId }],
        ...(name ? { name: [{ text: name }] } : {}),
        text: narrative([name ?? `Bruger ${userId}`]),
      });
      if (name) ref = { ...ref, display: name };
      practitioners.set(userId, ref);
    }
    return ref;
  };

  const steps: Array<{ step: HandlingStep; by: string; at: number }> = [];
  if (alert.acknowledgedBy && alert.acknowledgedAt !== null)
    steps.push({ step: 'acknowledged', by: alert.acknowledgedBy, at: alert.acknowledgedAt });
  if (alert.enRouteBy && alert.enRouteAt !== null)
    steps.push({ step: 'en-route', by: alert.enRouteBy, at: alert.enRouteAt });
  if (alert.arrivedBy && alert.arrivedAt !== null)
    steps.push({ step: 'arrived', by: alert.arrivedBy, at: alert.arrivedAt });
  if (alert.resolvedBy) steps.push({ step: 'resolved', by: alert.resolvedBy, at: resolvedAt });
  const resolver = alert.resolvedBy ? person(alert.resolvedBy) : null;
  for (const s of steps) person(s.by);

  // the readings that made the rule fire
  const observations = alert.evidence.readings.map((r, i) =>
    add(`observation/${i}`, {
      resourceType: 'Observation',
      status: 'final',
      code: concept(
        { system: SYSTEMS.sensorKind, code: r.kind, display: SENSOR_KIND_DISPLAY[r.kind] },
        SENSOR_KIND_DISPLAY[r.kind],
      ),
      subject: patient,
      effectiveDateTime: instant(r.ts),
      device: { type: 'Device', identifier: { system: SYSTEMS.deviceId, value: r.deviceId } },
      ...readingValue(r.kind, r.value),
    }),
  );

  const kind: Coding = {
    system: SYSTEMS.alertKind,
    code: alert.rule,
    display: ALERT_KIND_DISPLAY[alert.rule],
  };
  const outcomeCoding: Coding = {
    system: SYSTEMS.alertOutcome,
    code: outcome,
    display: OUTCOME_DISPLAY[outcome],
  };
  const issue = add('detected-issue', {
    resourceType: 'DetectedIssue',
    identifier: [{ system: SYSTEMS.alertId, value: alert.id }],
    status: 'final',
    code: concept(kind, ALERT_KIND_DISPLAY[alert.rule]),
    severity: issueSeverity(alert.severity),
    patient,
    identifiedDateTime: instant(alert.openedAt),
    author: platform,
    ...(observations.length > 0 ? { evidence: [{ detail: observations }] } : {}),
    detail: alert.evidence.summary,
    mitigation: [
      {
        action: concept(outcomeCoding, OUTCOME_DISPLAY[outcome]),
        date: instant(resolvedAt),
        ...(resolver ? { author: resolver } : {}),
      },
    ],
    text: narrative([
      `${ALERT_KIND_DISPLAY[alert.rule]} ${when(alert.openedAt)}.`,
      alert.evidence.summary,
      `Udfald: ${OUTCOME_DISPLAY[outcome]}.`,
    ]),
  });

  const stepLines = steps.map(
    (s) => `${STEP_DISPLAY[s.step]}: ${when(s.at)}, ${input.staffNames[s.by] ?? `bruger ${s.by}`}.`,
  );
  const encounter = add('encounter', {
    resourceType: 'Encounter',
    identifier: [{ system: SYSTEMS.alertId, value: alert.id }],
    status: 'finished',
    // HH: home health, the setting of home care; v3-ActCode is the binding FHIR R4 requires here
    class: { system: SYSTEMS.actCode, code: 'HH', display: 'home health' },
    subject: patient,
    period: { start: instant(alert.openedAt), end: instant(resolvedAt) },
    participant: steps.map((s) => ({
      type: [
        concept(
          { system: SYSTEMS.handlingStep, code: s.step, display: STEP_DISPLAY[s.step] },
          STEP_DISPLAY[s.step],
        ),
      ],
      period: { start: instant(s.at) },
      individual: person(s.by),
    })),
    text: narrative([`Alarm rejst: ${when(alert.openedAt)}.`, ...stepLines]),
  });

  const consents = (input.consentEvents ?? []).map((e, i, all) => {
    // the latest change per category and purpose is in force; earlier ones are history
    const superseded = all.some((o, j) => j > i && o.category === e.category && o.purpose === e.purpose);
    return add(`consent/${e.id}`, {
      resourceType: 'Consent',
      status: superseded ? 'inactive' : 'active',
      scope: concept({ system: SYSTEMS.consentScope, code: 'patient-privacy', display: 'Privacy Consent' }),
      category: [concept({ system: SYSTEMS.consentCategory, code: e.category })],
      patient,
      dateTime: instant(e.at),
      performer: [consentPerformer(e, patient)],
      // the versioned information text shown when the change was made: what was agreed to
      policy: [{ uri: `${SYSTEMS.consentText}/${encodeURIComponent(e.textVersion)}` }],
      provision: {
        type: e.action === 'grant' ? 'permit' : 'deny',
        purpose: [{ system: SYSTEMS.consentPurpose, code: e.purpose }],
      },
      text: narrative([
        `${ROLE_DISPLAY[e.actorRole] ?? e.actorRole} ${e.action === 'grant' ? 'sagde ja til' : 'sagde nej til'} ${e.purpose} (${e.category}) ${when(e.at)}, kanal: ${e.channel}.`,
      ]),
    });
  });

  const reads = (input.reads ?? []).map((r) =>
    add(`audit-event/${r.id}`, {
      resourceType: 'AuditEvent',
      type: { system: SYSTEMS.auditAction, code: r.action },
      action: 'R',
      recorded: instant(r.at),
      outcome: '0',
      agent: [
        {
          who: {
            type: r.actorRole === 'citizen' ? 'Patient' : 'Practitioner',
            identifier: { system: SYSTEMS.userId, value: r.actorId },
            display: ROLE_DISPLAY[r.actorRole] ?? r.actorRole,
          },
          requestor: true,
          purposeOfUse: [concept({ system: SYSTEMS.consentPurpose, code: r.purpose })],
        },
      ],
      source: {
        observer: platform,
        type: [{ system: SYSTEMS.auditSourceType, code: '4', display: 'Application Server' }],
      },
      entity: [{ what: patient }],
    }),
  );

  const note = alert.note?.trim() ? alert.note.trim() : null;
  const section = (code: string, title: string, lines: string[], refs: Reference[]) => ({
    title,
    code: concept({ system: SYSTEMS.documentSection, code, display: title }),
    text: narrative(lines),
    ...(refs.length > 0 ? { entry: refs } : {}),
  });
  const title = `Alarm: ${ALERT_KIND_DISPLAY[alert.rule]}`;
  const composition: FhirResource = {
    resourceType: 'Composition',
    identifier: { system: SYSTEMS.documentId, value: alert.id },
    status: 'final',
    type: concept({ system: SYSTEMS.documentType, code: 'alert-handling', display: 'Håndteret alarm' }),
    subject: patient,
    encounter,
    date: instant(resolvedAt),
    author: resolver ? [resolver, platform] : [platform],
    title,
    language: 'da',
    section: [
      section(
        'alarm',
        'Alarm',
        [`${ALERT_KIND_DISPLAY[alert.rule]} ${when(alert.openedAt)}.`, alert.evidence.summary],
        [issue, ...observations],
      ),
      section('handling', 'Håndtering', [...stepLines, `Udfald: ${OUTCOME_DISPLAY[outcome]}.`], [encounter]),
      section('note', 'Notat', [note ?? 'Intet notat.'], []),
      ...(consents.length > 0
        ? [section('consent', 'Samtykke', [`${consents.length} ændringer i samtykke.`], consents)]
        : []),
      ...(reads.length > 0
        ? [section('access', 'Adgang', [`${reads.length} opslag i borgerens data.`], reads)]
        : []),
    ],
    text: narrative([title, `Afsluttet ${when(resolvedAt)}: ${OUTCOME_DISPLAY[outcome]}.`]),
  };

  // who made what: the platform assembled the document and raised the alarm; the responder wrote the rest
  const provenance: FhirResource = {
    resourceType: 'Provenance',
    target: [],
    occurredPeriod: { start: instant(alert.openedAt), end: instant(resolvedAt) },
    recorded: instant(input.at),
    agent: [
      {
        type: concept({ system: SYSTEMS.provenanceAgent, code: 'assembler', display: 'Assembler' }),
        who: platform,
      },
      ...(resolver
        ? [
            {
              type: concept({ system: SYSTEMS.provenanceAgent, code: 'author', display: 'Author' }),
              who: resolver,
            },
          ]
        : []),
    ],
  };
  const compositionRef = add('composition', composition);
  const described = new Set(['DetectedIssue', 'Observation', 'Encounter', 'Consent', 'AuditEvent']);
  provenance.target = [
    compositionRef,
    ...entries.filter((e) => described.has(e.resource.resourceType)).map((e) => ({ reference: e.fullUrl })),
  ];
  add('provenance', provenance);

  // the Composition must come first in a document (FHIR R4 bdl-11)
  const compositionEntry = entries.find((e) => e.resource.resourceType === 'Composition')!;
  const ordered = [compositionEntry, ...entries.filter((e) => e !== compositionEntry)];
  return {
    resourceType: 'Bundle',
    id: nameUuid(`tryghed/care-record/${alert.id}`),
    identifier: { system: SYSTEMS.documentId, value: alert.id },
    type: 'document',
    timestamp: instant(input.at),
    entry: ordered,
  };
}

function consentPerformer(e: ConsentEvent, patient: Reference): Reference {
  if (e.actorRole === 'citizen') return patient;
  if (e.actorRole === 'relative')
    return {
      type: 'RelatedPerson',
      identifier: { system: SYSTEMS.userId, value: e.actorId },
      display: ROLE_DISPLAY.relative!,
    };
  if (e.actorRole === 'system') return { type: 'Organization', display: 'Tryghed' };
  return {
    type: 'Practitioner',
    identifier: { system: SYSTEMS.userId, value: e.actorId },
    display: ROLE_DISPLAY[e.actorRole] ?? e.actorRole,
  };
}
