import { z } from 'zod';
import {
  type AlertEvent,
  AlertState,
  ConsentAction,
  ConsentCategory,
  ConsentChannel,
  DeviceId,
  HomeId,
  LegalBasis,
  Outcome,
  Purpose,
  type Reading,
  RuleKind,
  SensorKind,
  Severity,
} from '../domain/index.ts';
import type { ConsentChange, DeviceAccessEnd, PlatformEvents, TestReadingRequest } from './events.ts';

/**
 * The events one platform process tells the others (through Redis, `cluster-link.ts`), and the
 * schema each payload must pass when it arrives: what another process (or whoever wrote to Redis)
 * sends is input like any other. `health/changed` (each process has its own health) and
 * `session/ended` (sessions are read from the shared store on every request) stay in their process.
 */
export const RELAYED_EVENTS = [
  'reading/accepted',
  'device/heard',
  'device/status',
  'alert/changed',
  'consent/changed',
  'home/changed',
  'device/changed',
  'device/access-ended',
  'test-mode/changed',
  'home/erased',
  'test-reading/requested',
  'test-reading/done',
] as const satisfies readonly (keyof PlatformEvents)[];
export type RelayedEventName = (typeof RELAYED_EVENTS)[number];

const epochMs = z.number().int().nonnegative().max(8.64e15);
const count = z.number().int().nonnegative();
const ReadingCategory = z.union([ConsentCategory, z.literal('technical')]);

const ReadingSchema = z.strictObject({
  homeId: HomeId,
  deviceId: DeviceId,
  kind: SensorKind,
  category: ReadingCategory,
  value: z.number().finite(),
  ts: epochMs,
  seq: count,
  receivedAt: epochMs,
  deviceTs: z.number().int().optional(),
  test: z.literal(true).optional(),
}) satisfies z.ZodType<Reading>;

const LegalBasisRefSchema = z.strictObject({
  basis: LegalBasis,
  eventId: count,
  grantedAt: epochMs,
  actorRole: z.string().max(40),
  onBehalfOf: z.string().max(200).nullable(),
  reference: z.string().max(200).nullable(),
  reviewDue: z.string().max(10).nullable(),
  textVersion: z.string().max(40),
});

const AlertSchema = z.strictObject({
  id: z.string().min(1).max(64),
  homeId: HomeId,
  rule: RuleKind,
  category: ReadingCategory,
  severity: Severity,
  audience: z.enum(['care', 'technical']),
  state: AlertState,
  openedAt: epochMs,
  lastSeenAt: epochMs,
  repeats: count,
  evidence: z.looseObject({
    readings: z
      .array(
        z.strictObject({ deviceId: DeviceId, kind: SensorKind, value: z.number().finite(), ts: z.number() }),
      )
      .max(1000),
    thresholds: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    summary: z.string().max(2000),
    testMode: z.strictObject({ until: epochMs }).optional(),
  }),
  acknowledgedBy: z.string().max(200).nullable(),
  acknowledgedAt: epochMs.nullable(),
  enRouteBy: z.string().max(200).nullable(),
  enRouteAt: epochMs.nullable(),
  arrivedBy: z.string().max(200).nullable(),
  arrivedAt: epochMs.nullable(),
  resolvedBy: z.string().max(200).nullable(),
  resolvedAt: epochMs.nullable(),
  outcome: Outcome.nullable(),
  note: z.string().max(10_000).nullable(),
  legalBasis: LegalBasisRefSchema.nullable(),
  test: z.boolean(),
  escalationLevel: count,
  version: count.optional(),
});

const AlertEventSchema = z.strictObject({
  seq: z.number().int().positive(),
  type: z.enum([
    'opened',
    'repeated',
    'acknowledged',
    'en_route',
    'arrived',
    'resolved',
    'escalated',
    'notified',
  ]),
  alert: AlertSchema,
}) satisfies z.ZodType<AlertEvent>;

const ConsentEventSchema = z.strictObject({
  id: count,
  homeId: HomeId,
  category: ConsentCategory,
  purpose: Purpose,
  action: ConsentAction,
  actorId: z.string().max(200),
  actorRole: z.string().max(40),
  onBehalfOf: z.string().max(200).nullable(),
  channel: ConsentChannel,
  textVersion: z.string().max(40),
  reference: z.string().max(200).nullable(),
  basis: LegalBasis.nullable(),
  reviewDue: z.string().max(10).nullable(),
  at: epochMs,
});

const ConsentChangeSchema = z.strictObject({
  homeId: HomeId,
  event: ConsentEventSchema,
  scope: z.record(ConsentCategory, z.record(Purpose, z.boolean())),
}) satisfies z.ZodType<ConsentChange>;

const AccessEndSchema = z.strictObject({
  deviceId: DeviceId,
  reason: z.enum(['secret_rotated', 'removed', 'moved']),
}) satisfies z.ZodType<DeviceAccessEnd>;

const RequestId = z.string().regex(/^[0-9a-f]{32}$/);

const TestReadingRequestSchema = z.strictObject({
  requestId: RequestId,
  homeId: HomeId,
  deviceId: DeviceId,
  reading: z.strictObject({
    kind: SensorKind,
    value: z.union([z.number().finite(), z.boolean()]),
    ts: epochMs,
    seq: count,
  }),
}) satisfies z.ZodType<TestReadingRequest>;

/**
 * Per relayed event, what its payload must be. Where the receiving process reads the thing again
 * from the shared store (a device, a home, consent), only the id is trusted from the message.
 */
export const RELAYED_SCHEMAS: { [K in RelayedEventName]: z.ZodType<unknown> } = {
  'reading/accepted': ReadingSchema,
  'device/heard': z.strictObject({ deviceId: DeviceId, at: epochMs }),
  'device/status': z.strictObject({ deviceId: DeviceId, online: z.boolean(), receivedAt: epochMs }),
  'alert/changed': AlertEventSchema,
  'consent/changed': ConsentChangeSchema,
  'home/changed': z.strictObject({ homeId: HomeId }),
  // the device is read again from the store; its id is what counts
  'device/changed': z.looseObject({ id: DeviceId, homeId: HomeId }),
  'device/access-ended': AccessEndSchema,
  'test-mode/changed': z.strictObject({ homeId: HomeId }),
  // A release before the erasure's time was sent carried none (a rolling upgrade): the time it
  // arrives stands in. That is after the erasure, so what this process holds of the home from
  // before it goes too (a reading received in between as well: erring towards forgetting).
  'home/erased': z
    .strictObject({ homeId: HomeId, at: z.number().int().nonnegative().optional() })
    .transform((e) => ({ homeId: e.homeId, at: e.at ?? Date.now() })),
  // ingest judges the reading again as a device's (schema, declared kind, consent, ranges)
  'test-reading/requested': TestReadingRequestSchema,
  'test-reading/done': z.strictObject({
    requestId: RequestId,
    accepted: count,
    rejected: z.array(z.string().max(40)).max(100),
  }),
};

/** A payload that passed its schema, typed as the event (the schemas are checked against the types above). */
export function parseRelayed<K extends RelayedEventName>(
  name: K,
  payload: unknown,
): PlatformEvents[K] | null {
  const parsed = RELAYED_SCHEMAS[name].safeParse(payload);
  return parsed.success ? (parsed.data as PlatformEvents[K]) : null;
}
