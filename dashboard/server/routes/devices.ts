import { z } from 'zod';
import { categoryOf, HomeId, SensorKind, topics, VALUE_RANGES } from '../../../services/domain/index.ts';
import type { RejectReason } from '../../../services/ingest/index.ts';
import { notFound, TryghedError } from '../../../services/runtime/index.ts';
import { canSeeHome } from '../access.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { DeviceView, HomeSummary } from '../api/schemas.ts';
import { type Actor, audit, type DashboardContext } from '../context.ts';
import { deviceStatuses } from '../device-status.ts';
import {
  deviceTestUntil,
  homeSummary,
  TEST_MODE_DEFAULT_MINUTES,
  TEST_MODE_MAX_MINUTES,
} from '../test-mode.ts';
import { observeTestReading, TestReadingOutcome } from '../test-reading-outcome.ts';
import { purposeOf } from '../transparency.ts';

const iso = (t: number) => new Date(t).toISOString();

const epochMs = z.number().int().meta({ description: 'epoch milliseconds' });
const HomeParams = z.object({ homeId: HomeId });
const DeviceParams = z.object({ deviceId: HomeId });
const TestMinutes = z
  .number()
  .int()
  .min(1)
  .max(TEST_MODE_MAX_MINUTES)
  .meta({ description: `how long test mode lasts, in minutes (default ${TEST_MODE_DEFAULT_MINUTES})` });
/** `test: true` starts test mode for `minutes`, `test: false` ends it. */
const HomePatch = z
  .object({ test: z.boolean(), minutes: TestMinutes.optional() })
  .strict()
  .refine((p) => p.test || p.minutes === undefined, {
    message: 'minutes only with test: true',
    path: ['minutes'],
  });
const DevicePatch = z
  .object({
    test: z.boolean().optional(),
    minutes: TestMinutes.optional(),
    /** seconds between a device's regular reports; 10 s to one day */
    reportIntervalS: z.number().int().min(10).max(86_400).optional(),
  })
  .strict()
  .refine((p) => p.test !== undefined || p.reportIntervalS !== undefined, 'give test or reportIntervalS')
  .refine((p) => p.test === true || p.minutes === undefined, {
    message: 'minutes only with test: true',
    path: ['minutes'],
  });
/** Only kind and value: time and sequence number are the platform's. */
const TestReading = z
  .object({ kind: SensorKind, value: z.union([z.number().finite(), z.boolean()]) })
  .strict();

const DeviceStatusView = z.strictObject({
  id: z.string(),
  role: z.enum(['sensor', 'gateway']),
  kinds: z.array(SensorKind),
  test: z.boolean(),
  testUntil: epochMs.nullable().meta({ description: 'in test mode until then; null when not' }),
  reportIntervalS: z.number(),
  lastSeen: epochMs.nullable().meta({ description: 'when the broker last received from it, since start' }),
  status: z
    .enum(['online', 'offline', 'never_seen'])
    .meta({ description: 'online: a message received within 2.5 report intervals' }),
  battery: z.strictObject({ value: z.number(), ts: epochMs }).nullable(),
});

/** Why ingest refused a test reading, said so a technician can act on it. */
const REFUSAL: Partial<Record<RejectReason, (kind: SensorKind) => TryghedError>> = {
  kind_not_declared: (kind) =>
    new TryghedError('bad_request', `the device does not report ${kind}`, {
      reason: 'kind_not_reported',
      issues: [{ in: 'body', path: 'kind', message: 'kind_not_declared' }],
    }),
  no_consent: (kind) =>
    new TryghedError(
      'conflict',
      `the citizen has consented neither to alerts nor to history for ${categoryOf(kind)}; the reading was dropped, as a device's would be`,
      { reason: 'no_consent', issues: [{ in: 'body', path: 'kind', message: 'no_consent' }] },
    ),
  out_of_range: (kind) => {
    const range = VALUE_RANGES[kind];
    const allowed = range
      ? `${range.min}–${range.max} ${range.unit}${range.integer ? ', whole numbers' : ''}`
      : 'a finite number';
    return new TryghedError('bad_request', `a ${kind} reading must be ${allowed}`, {
      reason: range ? 'value_out_of_range' : 'value_not_a_number',
      ...(range ? { detail: { min: String(range.min), max: String(range.max), unit: range.unit } } : {}),
      issues: [{ in: 'body', path: 'value', message: 'out_of_range' }],
    });
  },
  schema: () =>
    new TryghedError('bad_request', 'not a valid reading', {
      issues: [{ in: 'body', path: 'value', message: 'schema' }],
    }),
};

/**
 * Devices as technicians manage them: connectivity, test marks, report intervals, and test readings
 * sent through the real ingest path. Staff read the device list of their own teams' homes.
 */
export function deviceRoutes(ctx: DashboardContext): AnyApiRoute[] {
  let testSeq = 0;
  /**
   * Test mode is recorded before it starts, and awaited: a test mode the audit log does not know of
   * never begins. The citizen sees it in who looked at their data.
   */
  const recordTestMode = (actor: Actor, homeId: string, detail: string) =>
    ctx.auditLog.append({
      at: ctx.clock.now(),
      actorId: actor.user.id,
      actorRole: actor.user.role,
      action: 'test_mode',
      homeId,
      purpose: 'maintenance',
      detail,
    });

  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/devices',
      summary: "A home's devices: online or not, battery level",
      description: 'For staff of the home, technicians and administrators; audited with its purpose.',
      tag: 'devices',
      access: ['staff', 'technician', 'admin'],
      params: HomeParams,
      response: {
        status: 200,
        description: 'the devices',
        schema: z.strictObject({ devices: z.array(DeviceStatusView), at: epochMs }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = ctx.registry.home(params.homeId);
        if (!home || !canSeeHome(actor.user, home.id, ctx.registry)) throw notFound('home');
        audit(ctx, actor, 'devices.read', home.id, purposeOf(actor.user.role));
        return { devices: await deviceStatuses(ctx, home.id), at: ctx.clock.now() };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/homes/:homeId',
      summary: "Put a citizen's home into test mode for a while, or end it",
      description:
        `Test mode lasts \`minutes\` (default ${TEST_MODE_DEFAULT_MINUTES}, at most ${TEST_MODE_MAX_MINUTES}) and ends by itself. ` +
        "While it lasts, what the home's devices raise is a test alert, except a critical alarm, which reaches care staff marked as raised during test mode. " +
        "The home's care staff see it on the home view and the board; it is recorded in the audit log. A test home from birth needs none (409 on `test: false`).",
      tag: 'provisioning',
      access: ['admin', 'technician'],
      params: HomeParams,
      body: HomePatch,
      response: { status: 200, description: 'the home', schema: z.strictObject({ home: HomeSummary }) },
      errors: ['not_found', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const found = ctx.registry.home(params.homeId);
        if (!found) throw notFound('home');
        if (found.test) {
          if (!body.test)
            throw new TryghedError('conflict', 'a test home is a test home from birth, never a citizen’s', {
              reason: 'test_home_from_birth',
            });
          return { home: homeSummary(ctx, found) };
        }
        const until = body.test
          ? ctx.clock.now() + (body.minutes ?? TEST_MODE_DEFAULT_MINUTES) * 60_000
          : null;
        await recordTestMode(actor, found.id, `home ${until === null ? 'ended' : `until ${iso(until)}`}`);
        const home = await ctx.registry.setHomeTestMode(found.id, until);
        return { home: homeSummary(ctx, home) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/devices/:deviceId',
      summary: 'Put a device into test mode for a while (or end it), or change its report interval',
      description: `Test mode as for a home: \`minutes\` (default ${TEST_MODE_DEFAULT_MINUTES}, at most ${TEST_MODE_MAX_MINUTES}), ends by itself, shown to care staff, audited; critical alarms still reach them.`,
      tag: 'provisioning',
      access: ['admin', 'technician'],
      params: DeviceParams,
      body: DevicePatch,
      response: { status: 200, description: 'the device', schema: z.strictObject({ device: DeviceView }) },
      errors: ['not_found'],
      handle: async ({ params, body, actor }) => {
        let device = ctx.registry.device(params.deviceId);
        if (!device) throw notFound('device');
        if (body.test !== undefined) {
          const until = body.test
            ? ctx.clock.now() + (body.minutes ?? TEST_MODE_DEFAULT_MINUTES) * 60_000
            : null;
          await recordTestMode(
            actor,
            device.homeId,
            `device ${device.id} ${until === null ? 'ended' : `until ${iso(until)}`}`,
          );
          device = await ctx.registry.setDeviceTestMode(device.id, until);
        }
        if (body.reportIntervalS !== undefined) {
          device = await ctx.registry.updateDevice(device.id, { reportIntervalS: body.reportIntervalS });
          audit(ctx, actor, 'device.update', device.homeId, 'provisioning', device.id);
        }
        const { secretHash: _hidden, ...visible } = device;
        return { device: { ...visible, testUntil: deviceTestUntil(ctx, device) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/homes/:homeId/test-mode',
      summary: "End every test mode in a home now: the home's own and each device's",
      description:
        "Care staff of the home's team may end what a technician started, as may technicians and administrators. Recorded in the audit log; what test mode left open as test alerts is handed to care staff.",
      tag: 'homes',
      access: ['staff', 'technician', 'admin'],
      params: HomeParams,
      response: { status: 204, description: 'ended' },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const home = ctx.registry.home(params.homeId);
        if (!home || !canSeeHome(actor.user, home.id, ctx.registry)) throw notFound('home');
        const mode = ctx.registry.testMode(home.id, ctx.clock.now());
        if (!mode) return undefined;
        await recordTestMode(actor, home.id, 'home and devices ended');
        if (mode.until !== null) await ctx.registry.setHomeTestMode(home.id, null);
        for (const d of mode.devices) await ctx.registry.setDeviceTestMode(d.id, null);
        return undefined;
      },
    }),
    // Removing a device ends its secret and closes its open connections at once (the registry tells
    // the broker). The rules' offline watch drops a device the registry no longer knows, so a removed
    // device never raises device_offline. Its alerts already raised stay for a technician to resolve.
    defineRoute({
      method: 'delete',
      path: '/api/devices/:deviceId',
      summary: 'Remove a device: its secret stops working and its open connections close at once',
      description:
        'Recorded in the audit log of its home. Alerts it already raised stay open until resolved.',
      tag: 'provisioning',
      access: ['admin', 'technician'],
      params: DeviceParams,
      response: { status: 204, description: 'removed' },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const device = ctx.registry.device(params.deviceId);
        if (!device) throw notFound('device');
        await ctx.registry.removeDevice(device.id);
        audit(ctx, actor, 'device.remove', device.homeId, 'provisioning', device.id);
        return undefined;
      },
    }),
    // Administrators only: a move makes one citizen's sensor report into another citizen's home, so
    // a mistake sends one person's readings (and alerts) to the other's care staff. That is a
    // decision about whose data it is, not field work; a technician removes and provisions instead.
    // The device keeps its secret: it reconnects with it and may then publish for its new home only.
    defineRoute({
      method: 'post',
      path: '/api/devices/:deviceId/move',
      summary: 'Move a device to another home; its open connections close at once',
      description:
        'The device keeps its secret and, once reconnected, speaks for the new home only. Recorded in the audit log of both homes. A gateway is not moved (409): it publishes for the sensors of its home.',
      tag: 'provisioning',
      access: ['admin'],
      params: DeviceParams,
      body: z.strictObject({ homeId: HomeId }),
      response: { status: 200, description: 'the device', schema: z.strictObject({ device: DeviceView }) },
      errors: ['not_found', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const device = ctx.registry.device(params.deviceId);
        if (!device) throw notFound('device');
        if (!ctx.registry.home(body.homeId)) throw notFound('home');
        if (device.role === 'gateway')
          throw new TryghedError('conflict', 'a gateway is not moved: remove it and pair a new one', {
            reason: 'gateway_not_moved',
          });
        if (device.homeId === body.homeId)
          throw new TryghedError('conflict', 'the device is already there', {
            reason: 'device_already_there',
          });
        const moved = await ctx.registry.moveDevice(device.id, body.homeId);
        audit(ctx, actor, 'device.move', device.homeId, 'provisioning', `${device.id} moved out`);
        audit(ctx, actor, 'device.move', moved.homeId, 'provisioning', `${device.id} moved in`);
        const { secretHash: _hidden, ...visible } = moved;
        return { device: { ...visible, testUntil: deviceTestUntil(ctx, moved) } };
      },
    }),
    // A test reading takes a device's path (topic, schema, declared kind, consent, storage, rules),
    // marked as test: any alert it raises is a test alert that pages no one.
    defineRoute({
      method: 'post',
      path: '/api/devices/:deviceId/test-reading',
      summary: 'Send a test reading for a device through the real ingest path',
      description:
        'Stored with history consent like any reading (tagged test); any alert it raises is a test alert, shown to technicians only.',
      tag: 'devices',
      access: ['admin', 'technician'],
      params: DeviceParams,
      body: TestReading,
      response: {
        status: 200,
        description: 'accepted by ingest',
        schema: z.strictObject({
          reading: z.strictObject({
            deviceId: z.string(),
            homeId: z.string(),
            kind: SensorKind,
            value: z.union([z.number(), z.boolean()]),
            ts: epochMs,
            seq: z.number().int(),
            test: z.literal(true),
          }),
          stored: z.boolean().meta({ description: 'kept in InfluxDB (history consent, or technical)' }),
          evaluated: z.boolean().meta({ description: 'judged by the alert rules (alerts consent)' }),
          outcome: TestReadingOutcome,
        }),
      },
      errors: ['not_found', 'conflict', 'unavailable'],
      handle: async ({ params, body, actor }) => {
        const device = ctx.registry.device(params.deviceId);
        if (!device) throw notFound('device');
        const ingest = ctx.ingest;
        const remote = ingest ? undefined : ctx.remoteTestReading;
        if (!ingest && !remote) throw new TryghedError('unavailable', 'test readings are not available here');
        // built here, from the session and the request: kind and value are all the client says
        const reading = { kind: body.kind, value: body.value, ts: ctx.clock.now(), seq: ++testSeq };
        let result: { accepted: number; rejected: readonly string[] } | null | undefined;
        const numeric = typeof body.value === 'boolean' ? (body.value ? 1 : 0) : body.value;
        const send = async () => {
          if (ingest)
            result = ingest.handleMessage(
              topics.readings(device.homeId, device.id),
              Buffer.from(JSON.stringify(reading)),
              { test: true },
            );
          // no ingest in this process (ROLES): a broker+ingest process runs it, over the cluster link
          else result = await remote!({ homeId: device.homeId, deviceId: device.id, reading });
          return (result?.accepted ?? 0) > 0;
        };
        const outcome = await observeTestReading(ctx, device.homeId, body.kind, numeric, send, !ingest);
        audit(ctx, actor, 'device.test_reading', device.homeId, 'maintenance', `${device.id}/${body.kind}`);
        if (result === null)
          throw new TryghedError(
            'unavailable',
            'no broker process answered in time: look at the device before sending another (is a broker,ingest process running, and Redis reachable?)',
          );
        const reason = result?.rejected[0] as RejectReason | undefined;
        if (!result || result.accepted === 0) {
          throw (
            (reason && REFUSAL[reason]?.(body.kind)) ??
            new TryghedError('conflict', `the reading was refused: ${reason ?? 'unknown'}`, {
              reason: 'reading_refused',
            })
          );
        }
        const category = categoryOf(body.kind);
        return {
          reading: { deviceId: device.id, homeId: device.homeId, ...reading, test: true as const },
          stored: ctx.consent.allows(device.homeId, category, 'history'),
          evaluated: ctx.consent.allows(device.homeId, category, 'alerts'),
          outcome,
        };
      },
    }),
  ];
}
