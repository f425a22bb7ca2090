import { z } from 'zod';
import type { StatisticsReport } from '../../../services/alerts/index.ts';
import type { ReviewDue } from '../../../services/consent/index.ts';
import {
  type Alert,
  AlertState,
  CONSENT_CATEGORIES,
  CONSENT_CHANNELS,
  ConsentAction,
  ConsentCategory,
  type ConsentEvent,
  LegalBasis,
  type LegalBasisRef,
  type NotificationAttempt,
  Outcome,
  Purpose,
  RuleKind,
  SensorKind,
  Severity,
} from '../../../services/domain/index.ts';
import { USER_ROLES } from '../../../services/store/index.ts';

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
  message: z.string().meta({ description: 'for developers and logs; the web app shows its own Danish text' }),
  issues: z
    .array(
      z.strictObject({
        path: z
          .string()
          .meta({ description: 'the field, dotted: `settings.nightStart`; `(body)` for the whole body' }),
        message: z.string(),
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
  }),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: epochMs.nullable(),
  resolvedBy: z.string().nullable(),
  resolvedAt: epochMs.nullable(),
  outcome: Outcome.nullable(),
  note: z.string().nullable(),
  legalBasis: LegalBasisView.nullable(),
  test: z.boolean(),
  escalationLevel: z.number().int(),
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
  test: z.boolean(),
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
  lastSeen: epochMs.nullable(),
});

export const DeviceView = z.strictObject({
  id: z.string(),
  homeId: z.string(),
  role: z.enum(['sensor', 'gateway']),
  kinds: z.array(SensorKind),
  test: z.boolean(),
  reportIntervalS: z.number(),
  createdAt: epochMs,
});

export const ConsentScopeView = z.record(
  ConsentCategory,
  z.strictObject({ alerts: z.boolean(), history: z.boolean() }),
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
  resolve: Durations,
});
export const StatisticsView = z.strictObject({
  from: epochMs,
  to: epochMs,
  total: OutcomeStats,
  byRule: z.partialRecord(RuleKind, OutcomeStats),
  byTeam: z.record(z.string(), OutcomeStats),
});

export const SessionView = z.strictObject({ user: PublicUser, csrfToken: z.string() });

// Compile-time: each domain type still fits the schema that documents it. A field added to the
// domain type without the schema, or a type changed, breaks the build here rather than the document.
type Fits<S extends z.ZodType, T> = [T] extends [z.input<S>] ? true : never;
const _fits: [
  Fits<typeof AlertView, Alert & { homeLabel: string }>,
  Fits<typeof ConsentEventView, ConsentEvent>,
  Fits<typeof LegalBasisView, LegalBasisRef>,
  Fits<typeof NotificationView, NotificationAttempt>,
  Fits<typeof ReviewDueView, ReviewDue & { homeLabel: string }>,
  Fits<typeof StatisticsView, StatisticsReport>,
] = [true, true, true, true, true, true];
void _fits;
