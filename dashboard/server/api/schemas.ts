import { z } from 'zod';
import type { StatisticsReport } from '../../../services/alerts/index.ts';
import type { ReviewDue } from '../../../services/consent/index.ts';
import {
  type Alert,
  type AlertDelivery,
  AlertState,
  CONSENT_CATEGORIES,
  CONSENT_CHANNELS,
  ConsentAction,
  ConsentCategory,
  type ConsentEvent,
  type ErasureRequest,
  type InformationText,
  LegalBasis,
  type LegalBasisRef,
  type NotificationAttempt,
  Outcome,
  PURPOSES,
  Purpose,
  RuleKind,
  SensorKind,
  Severity,
  USER_ROLES,
} from '../../../services/domain/index.ts';
import { ResponderCardExport } from '../responder-card.ts';
import type { AccessLogEntry, CitizenAlert, ConsentHistoryEntry } from '../transparency.ts';

/**
 * What the API sends, as zod schemas: the OpenAPI document's response schemas, and what tests
 * check every response against. Objects are strict, so a field that slips out (a hash, a name
 * that should stay in the store) fails the check instead of going unnoticed.
 */

/** The API's one error envelope. */
export const ErrorBody = z.strictObject({
  error: z
    .string()
    .meta({ description: 'a stable code: bad_request, unauthenticated, forbidden, not_found, …' }),
  reason: z.string().optional().meta({
    description: 'a stable, more precise code: device_exists, last_administrator, home_not_found, …',
  }),
  message: z.string().meta({ description: 'for developers and logs; the web app shows its own Danish text' }),
  issues: z
    .array(
      z.strictObject({
        path: z
          .string()
          .meta({ description: 'the field, dotted: `settings.nightStart`; `(body)` for the whole body' }),
        message: z.string(),
        code: z
          .string()
          .optional()
          .meta({ description: 'why, as a stable code: too_small, invalid_format, …' }),
        in: z.enum(['body', 'query', 'path']).optional(),
      }),
    )
    .optional(),
  detail: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: 'facts to act on, e.g. `category` with no_history_consent' }),
});

const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });
const ReadingCategory = z.enum([...CONSENT_CATEGORIES, 'technical']);

export const PublicUser = z.strictObject({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(USER_ROLES),
  teamIds: z.array(z.string()),
  homeId: z.string().nullable(),
  mustChangePassword: z
    .boolean()
    .meta({ description: 'an administrator reset the password: only changing it is allowed until then' }),
});

export const LegalBasisView = z.strictObject({
  basis: LegalBasis,
  eventId: z.number().int(),
  grantedAt: epochMs,
  actorRole: z.string(),
  onBehalfOf: z.string().nullable(),
  reference: z.string().nullable(),
  reviewDue: z.string().nullable(),
  textVersion: z.string(),
});

/** A notice (webhook, SMS, care record) about an alert that the outbox has not delivered. */
export const UndeliveredNoticeView = z.strictObject({
  notifier: z.string().meta({ description: 'webhook, sms, log, care-record' }),
  target: z.string().meta({ description: 'the configured name; never a URL or phone number' }),
  since: epochMs.meta({ description: 'when the notice was made' }),
  lateAt: epochMs.meta({ description: 'from when it counts as not delivered in time (NOTICE_LATE_S)' }),
  givenUp: z.boolean().meta({ description: 'tried as often as allowed, or refused for good' }),
  attempts: z.number().int(),
  detail: z.string().nullable().meta({ description: "the latest try's short reason; null before a try" }),
});

export const AlertView = z.strictObject({
  id: z.string(),
  homeId: z.string(),
  homeLabel: z.string(),
  rule: RuleKind,
  category: ReadingCategory,
  severity: Severity,
  audience: z.enum(['care', 'technical']),
  state: AlertState,
  openedAt: epochMs,
  lastSeenAt: epochMs,
  repeats: z.number().int(),
  evidence: z.strictObject({
    readings: z.array(
      z.strictObject({ deviceId: z.string(), kind: SensorKind, value: z.number(), ts: epochMs }),
    ),
    thresholds: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    summary: z.string(),
    testMode: z
      .strictObject({ until: epochMs })
      .optional()
      .meta({ description: 'raised while a technician had the home or device in test mode, until then' }),
  }),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: epochMs.nullable(),
  enRouteBy: z.string().nullable().meta({ description: 'who tapped "På vej" (set out to the home)' }),
  enRouteAt: epochMs.nullable().meta({ description: "when, by the server's clock" }),
  arrivedBy: z.string().nullable().meta({ description: 'who tapped "Fremme" (arrived at the home)' }),
  arrivedAt: epochMs.nullable().meta({ description: "when, by the server's clock" }),
  resolvedBy: z.string().nullable(),
  resolvedAt: epochMs.nullable(),
  outcome: Outcome.nullable(),
  note: z.string().nullable(),
  legalBasis: LegalBasisView.nullable(),
  test: z.boolean(),
  escalationLevel: z.number().int(),
  team: z.strictObject({ id: z.string(), name: z.string() }).meta({ description: "the home's team" }),
  acknowledgedByName: z.string().nullable().meta({
    description: 'who said "I\'m on it", by display name; sent only to those who may handle the alert',
  }),
  enRouteByName: z.string().nullable().meta({ description: 'who set out, by display name (as above)' }),
  arrivedByName: z.string().nullable().meta({ description: 'who arrived, by display name (as above)' }),
  arrivalDueAt: epochMs.nullable().meta({
    description:
      'a care alert not resolved and nobody "fremme": when the arrival target (ARRIVAL_TARGET_MIN) passes; the board marks it overdue after that. Null otherwise',
  }),
  delivery: z
    .strictObject({
      fallback: z.enum(['configured', 'none']).meta({
        description: '`none`: no fallback outside the dashboard is set up; level 2 only writes to the log',
      }),
      channels: z.array(
        z.strictObject({
          notifier: z.string().meta({ description: 'log, webhook, sms' }),
          target: z.string().meta({ description: 'the configured name; never a URL or phone number' }),
          level: z.number().int(),
          notices: z.number().int().meta({ description: 'the first notice and reminders' }),
          attempts: z.number().int().meta({ description: 'tries of the latest notice' }),
          delivered: z.boolean(),
          at: epochMs,
          detail: z.string().nullable(),
        }),
      ),
      undelivered: z.array(UndeliveredNoticeView).meta({
        description:
          'notices about this alert not delivered: still being tried or given up; "Besked ikke leveret" once `lateAt` passes or given up',
      }),
    })
    .meta({
      description: 'what was really done to reach people outside the board, from the recorded attempts',
    }),
});

export const NotificationView = z.strictObject({
  id: z.number().int(),
  alertId: z.string(),
  at: epochMs,
  notifier: z.string(),
  target: z.string(),
  level: z.number().int(),
  attempt: z.number().int(),
  result: z.enum(['delivered', 'failed']),
  detail: z.string().nullable(),
});

export const TeamView = z.strictObject({ id: z.string(), name: z.string() });

export const HomeSummary = z.strictObject({
  id: z.string(),
  label: z.string(),
  teamId: z.string(),
  timezone: z.string(),
  test: z.boolean().meta({ description: 'a test home from birth (simulator, demo): never a citizen' }),
  testUntil: epochMs
    .nullable()
    .meta({ description: 'a technician has the home in test mode until then; null when not' }),
});

export const HomeView = HomeSummary.extend({
  settings: z.record(z.string(), z.unknown()),
  createdAt: epochMs,
});

export const DeviceSummary = z.strictObject({
  id: z.string(),
  role: z.enum(['sensor', 'gateway']),
  kinds: z.array(SensorKind),
  test: z.boolean(),
  testUntil: epochMs.nullable().meta({ description: 'in test mode until then; null when not' }),
  lastSeen: epochMs.nullable(),
});

export const DeviceView = z.strictObject({
  id: z.string(),
  homeId: z.string(),
  role: z.enum(['sensor', 'gateway']),
  kinds: z.array(SensorKind),
  test: z.boolean(),
  testUntil: epochMs.nullable().meta({ description: 'in test mode until then; null when not' }),
  reportIntervalS: z.number(),
  createdAt: epochMs,
});

export const ConsentScopeView = z.record(
  ConsentCategory,
  z.strictObject(Object.fromEntries(PURPOSES.map((p) => [p, z.boolean()])) as Record<Purpose, z.ZodBoolean>),
);

export const ConsentEventView = z.strictObject({
  id: z.number().int(),
  homeId: z.string(),
  category: ConsentCategory,
  purpose: Purpose,
  action: ConsentAction,
  actorId: z.string(),
  actorRole: z.string(),
  onBehalfOf: z.string().nullable(),
  channel: z.enum(CONSENT_CHANNELS),
  textVersion: z.string(),
  reference: z.string().nullable(),
  basis: LegalBasis.nullable(),
  reviewDue: z.string().nullable(),
  at: epochMs,
});

export const ReviewDueView = z.strictObject({
  homeId: z.string(),
  homeLabel: z.string(),
  category: ConsentCategory,
  purpose: Purpose,
  reviewDue: z.string(),
  reference: z.string().nullable(),
  overdue: z.boolean(),
});

const Durations = z.strictObject({
  count: z.number().int(),
  median: z.number().nullable(),
  p90: z.number().nullable(),
});
const OutcomeStats = z.strictObject({
  alerts: z.number().int(),
  resolved: z.number().int(),
  falseAlarmRate: z.number().nullable(),
  acknowledge: Durations,
  enRoute: Durations,
  arrive: Durations,
  resolve: Durations,
  answeredInTime: z
    .number()
    .nullable()
    .meta({ description: 'share (0..1) acknowledged within ANSWER_TARGET_S' }),
  reachedInTime: z
    .number()
    .nullable()
    .meta({ description: 'share (0..1) reached ("fremme") within ARRIVAL_TARGET_MIN, of `reachable`' }),
  reachable: z.number().int().meta({
    description: 'alerts a responder was to reach: all but those resolved without anyone arriving',
  }),
});
export const StatisticsView = z.strictObject({
  from: epochMs,
  to: epochMs,
  total: OutcomeStats,
  byRule: z.partialRecord(RuleKind, OutcomeStats),
  byTeam: z.record(z.string(), OutcomeStats),
  teamNames: z
    .record(z.string(), z.string())
    .meta({ description: "each team id in byTeam with the team's name, which is what people are shown" }),
  targets: z.strictObject({ answerWithinS: z.number().int(), arriveWithinS: z.number().int() }),
});

export const SessionView = z.strictObject({ user: PublicUser, csrfToken: z.string() });

// The citizen's side: what a citizen or their relative is shown about their own home.

const Localised = z.strictObject({ da: z.string(), en: z.string() });
const CategoryTextView = z.strictObject({ title: Localised, body: Localised });
export const InformationTextView = z.strictObject({
  version: z.string().meta({ description: 'recorded with a consent change made with this text in view' }),
  issued: z
    .string()
    .meta({ description: 'the day this version was first shown (YYYY-MM-DD); shown with the title' }),
  title: Localised,
  body: Localised,
});
const SensorOfCategory = z.strictObject({ deviceId: z.string(), kind: SensorKind, name: Localised });

export const ConsentHistoryEntryView = z.strictObject({
  id: z.number().int(),
  at: epochMs,
  category: ConsentCategory,
  purpose: Purpose,
  action: ConsentAction,
  actorRole: z.string(),
  actorName: z
    .string()
    .nullable()
    .meta({ description: 'only the citizen and their own relatives are named; others by role' }),
  onBehalfOfCitizen: z.boolean().meta({ description: 'someone else made the change for the citizen' }),
  channel: z.enum(CONSENT_CHANNELS),
  basis: LegalBasis.nullable(),
  reference: z.string().nullable(),
  reviewDue: z.string().nullable(),
  textVersion: z.string(),
});

export const OverviewView = z.strictObject({
  home: z.strictObject({ id: z.string(), label: z.string(), timezone: z.string() }),
  retentionDays: z.number().int().nullable().meta({ description: 'how long readings are kept' }),
  categories: z.array(
    z.strictObject({
      category: ConsentCategory,
      text: CategoryTextView,
      sensors: z.array(SensorOfCategory),
      purposes: z.array(
        z.strictObject({
          purpose: Purpose,
          granted: z.boolean(),
          since: epochMs
            .nullable()
            .meta({ description: 'when it was last given or withdrawn; null when it never was' }),
          basis: LegalBasis.nullable(),
          text: InformationTextView,
        }),
      ),
    }),
  ),
  technical: z.strictObject({ text: CategoryTextView, sensors: z.array(SensorOfCategory) }),
  consentHistory: z.array(ConsentHistoryEntryView),
});

export const CitizenAlertView = z.strictObject({
  id: z.string(),
  rule: RuleKind,
  category: ReadingCategory,
  severity: Severity,
  state: AlertState,
  openedAt: epochMs,
  repeats: z.number().int(),
  acknowledgedAt: epochMs.nullable(),
  enRouteAt: epochMs.nullable().meta({ description: 'when staff set out to the home ("på vej")' }),
  arrivedAt: epochMs.nullable().meta({ description: 'when staff arrived at the home ("fremme")' }),
  resolvedAt: epochMs.nullable(),
  outcome: Outcome.nullable(),
  note: z.string().nullable().meta({ description: 'the professional note; it is about the citizen' }),
  handledBy: z
    .string()
    .nullable()
    .meta({ description: 'the care staff member who resolved it (or acknowledged it, while open)' }),
  legalBasis: LegalBasis.nullable(),
  test: z.boolean().meta({ description: 'a test alert (shown to administrators only), marked "Test"' }),
});

export const AccessLogEntryView = z.strictObject({
  id: z.number().int(),
  at: epochMs,
  actorRole: z.string(),
  actorName: z.string().nullable().meta({
    description: "care staff and the citizen's own relatives by name; technicians and administrators by role",
  }),
  action: z.string(),
  purpose: z.string(),
  detail: z.string().nullable(),
});

export const ErasureRequestView = z.strictObject({
  id: z.number().int(),
  homeId: z.string(),
  requestedBy: z.string(),
  requesterRole: z.string(),
  onBehalfOf: z.string().nullable(),
  scope: z.literal('readings'),
  requestedAt: epochMs,
  completedAt: epochMs,
  result: z.enum(['erased', 'failed']),
  detail: z.string().nullable(),
});

export const PowerOfAttorneyView = z.strictObject({
  id: z.number().int(),
  relative: z.strictObject({ id: z.string(), displayName: z.string().nullable() }),
  reference: z.string(),
  verifiedAt: epochMs,
  revokedAt: epochMs.nullable(),
});

export const HomeExportView = z.strictObject({
  exportedAt: z.iso.datetime(),
  home: z.strictObject({ id: z.string(), timezone: z.string() }),
  responderCard: ResponderCardExport.nullable().meta({ description: "the responder's card; null when none" }),
  consent: z.strictObject({ scope: ConsentScopeView, history: z.array(ConsentHistoryEntryView) }),
  alerts: z.array(CitizenAlertView),
  accessLog: z.array(AccessLogEntryView),
  erasureRequests: z.array(ErasureRequestView),
  readings: z.array(
    z.strictObject({
      time: z.iso.datetime(),
      deviceId: z.string(),
      kind: SensorKind,
      category: ReadingCategory,
      value: z.number(),
      seq: z.number().int(),
      test: z.boolean().meta({ description: "a technician's test reading, not from the citizen's life" }),
    }),
  ),
  readingsTruncated: z
    .boolean()
    .meta({ description: 'true when there were more readings than one export holds' }),
});

// Compile-time: each domain type still fits the schema that documents it. A field added to the
// domain type without the schema, or a type changed, breaks the build here rather than the document.
type Fits<S extends z.ZodType, T> = [T] extends [z.input<S>] ? true : never;
const _fits: [
  Fits<
    typeof AlertView,
    Alert & {
      homeLabel: string;
      delivery: AlertDelivery;
      team: { id: string; name: string };
      acknowledgedByName: string | null;
      enRouteByName: string | null;
      arrivedByName: string | null;
      arrivalDueAt: number | null;
    }
  >,
  Fits<typeof ConsentEventView, ConsentEvent>,
  Fits<typeof LegalBasisView, LegalBasisRef>,
  Fits<typeof NotificationView, NotificationAttempt>,
  Fits<typeof ReviewDueView, ReviewDue & { homeLabel: string }>,
  Fits<typeof StatisticsView, StatisticsReport & { teamNames: Record<string, string> }>,
  Fits<typeof InformationTextView, InformationText>,
  Fits<typeof ConsentHistoryEntryView, ConsentHistoryEntry>,
  Fits<typeof CitizenAlertView, CitizenAlert>,
  Fits<typeof AccessLogEntryView, AccessLogEntry>,
  Fits<typeof ErasureRequestView, ErasureRequest>,
] = [true, true, true, true, true, true, true, true, true, true, true];
void _fits;
