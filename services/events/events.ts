import type {
  AlertEvent,
  ConsentEvent,
  ConsentScope,
  Device,
  DeviceId,
  HomeId,
  Reading,
  SensorKind,
} from '../domain/index.ts';
import type { Logger, Metrics } from '../runtime/index.ts';
import { EventBus } from './bus.ts';

/** A grant or withdrawal, with the home's whole scope after it. */
export interface ConsentChange {
  homeId: HomeId;
  event: ConsentEvent;
  scope: ConsentScope;
}

/** Why a device's open connections must end now. */
export type DeviceAccessEnd = { deviceId: DeviceId; reason: 'secret_rotated' | 'removed' | 'moved' };

/** A technician's test reading, to be run through ingest by another process. */
export interface TestReadingRequest {
  requestId: string;
  homeId: HomeId;
  deviceId: DeviceId;
  reading: { kind: SensorKind; value: number | boolean; ts: number; seq: number };
}

/** A device as other parts hear of it: never its secret's hash, which stays with the registry. */
export type DeviceFacts = Omit<Device, 'secretHash'>;

/**
 * Every in-process event between parts, by name. A name is `part/what-happened` (a topic, once the
 * parts run in several processes); a payload is plain JSON. Who emits what:
 */
export interface PlatformEvents {
  /** ingest: a reading passed every check (consent to store it or to alert on it included); the rules hear it */
  'reading/accepted': Reading;
  /** ingest: a well-formed reading from a known device, before consent and resend checks: it is alive */
  'device/heard': { deviceId: DeviceId; at: number };
  /**
   * broker: a device (or its gateway, relaying zigbee2mqtt's availability; a last will) reported
   * itself online or offline; `receivedAt` is when the broker received it (epoch ms)
   */
  'device/status': { deviceId: DeviceId; online: boolean; receivedAt: number };
  /** alerts: an alert changed, written to the store with this sequence number before anyone hears */
  'alert/changed': AlertEvent;
  /** consent: a grant or withdrawal, in force before anyone hears */
  'consent/changed': ConsentChange;
  /** health: the reasons the platform is degraded changed (empty: healthy again) */
  'health/changed': { degraded: string[] };
  /** registry: a home was created or changed (label, team, settings, powers of attorney) after loading */
  'home/changed': { homeId: HomeId };
  /** registry: a device was provisioned or changed after loading */
  'device/changed': DeviceFacts;
  /** registry: a device's credentials no longer hold (secret rotated, removed, moved) */
  'device/access-ended': DeviceAccessEnd;
  /** registry: a home's or a device's test mode was set or ended by hand (not one running out) */
  'test-mode/changed': { homeId: HomeId };
  /**
   * erasure: a home's readings are being erased here (a citizen's request); every process forgets
   * what it holds of them, the home's rules owner among them
   */
  /** `at`: the erasure's time (its request's `requested_at`): readings received up to it are erased */
  'home/erased': { homeId: HomeId; at: number };
  /**
   * dashboard (a process without ingest): a technician's test reading, built there from the
   * session and the request, for one broker+ingest process to run through its ingest
   */
  'test-reading/requested': TestReadingRequest;
  /** ingest: what became of a requested test reading (ingest's own result) */
  'test-reading/done': { requestId: string; accepted: number; rejected: string[] };
  /** dashboard: a session ended (logout, timeout, password reset) */
  'session/ended': { sessionId: string };
}

export type PlatformEventName = keyof PlatformEvents;

/** Every event name, for code that must go over them all (and the round-trip test). */
export const PLATFORM_EVENT_NAMES = [
  'reading/accepted',
  'device/heard',
  'device/status',
  'alert/changed',
  'consent/changed',
  'health/changed',
  'home/changed',
  'device/changed',
  'device/access-ended',
  'test-mode/changed',
  'home/erased',
  'test-reading/requested',
  'test-reading/done',
  'session/ended',
] as const satisfies readonly PlatformEventName[];

/** The platform's one bus: made once by whoever starts the parts, handed to each. */
export type PlatformBus = EventBus<PlatformEvents>;

export function createPlatformBus(o: { logger: Logger; metrics?: Metrics }): PlatformBus {
  return new EventBus<PlatformEvents>(o);
}

/** The part of a device other parts may hear of. */
export function deviceFacts(device: Device): DeviceFacts {
  const { secretHash: _secret, ...facts } = device;
  return facts;
}
