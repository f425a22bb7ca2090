import type { SensorKind } from '../../../../services/domain/shared/sensor-kinds.ts';
import { ApiError, api, type RequestBody } from '../api/client.ts';

/** The REST calls of the home view and the technician page. */
export interface HomeSummary {
  id: string;
  label: string;
  teamId: string;
  timezone: string;
  /** a test home from birth (simulator, demo) */
  test: boolean;
  /** a technician has this citizen's home in test mode until then; null when not */
  testUntil: number | null;
}

export type Connectivity = 'online' | 'offline' | 'never_seen';

export interface DeviceStatus {
  id: string;
  role: 'sensor' | 'gateway';
  kinds: string[];
  test: boolean;
  /** in test mode until then; null when not */
  testUntil: number | null;
  reportIntervalS: number;
  lastSeen: number | null;
  status: Connectivity;
  battery: { value: number; ts: number } | null;
}

export interface Series {
  deviceId: string;
  summary: { count: number; min: number; max: number; last: { ts: number; value: number } };
  points: Array<{ ts: number; value: number; test?: boolean }>;
}

export interface ReadingsAnswer {
  kind: string;
  category: string;
  range: Period['range'];
  /** the home's time zone: day boundaries and clock times in it */
  timezone: string;
  from: number;
  to: number;
  truncated: boolean;
  series: Series[];
}

/** A chart's period: the last 24 hours, 7 or 30 days, or whole local days chosen (YYYY-MM-DD, inclusive). */
export type Period = { range: '24h' | '7d' | '30d' } | { range: 'custom'; from: string; to: string };

/** Readings, or why there are none: the citizen's missing history consent is an answer, not an error. */
export type ReadingsResult =
  | { ok: true; readings: ReadingsAnswer }
  | { ok: false; reason: 'no_history_consent'; category: string }
  | { ok: false; reason: 'failed'; message: string };

export interface TestAlert {
  id: string;
  homeId: string;
  rule: string;
  state: 'open' | 'acknowledged' | 'resolved';
  openedAt: number;
  test: boolean;
}

// typed from the API document: the answers must fit the views above, or the web check fails
export const listHomes = (q = '', limit = 100): Promise<{ homes: HomeSummary[]; total: number }> =>
  api('get', '/api/homes', { query: { ...(q ? { q } : {}), limit } });
export const getHome = (homeId: string): Promise<{ home: HomeSummary }> =>
  api('get', '/api/homes/{homeId}', { path: { homeId } });
export const homeDevices = (homeId: string): Promise<{ devices: DeviceStatus[]; at: number }> =>
  api('get', '/api/homes/{homeId}/devices', { path: { homeId } });

/** Readings, or why there are none: the citizen's missing history consent is an answer, not an error. */
export async function homeReadings(
  homeId: string,
  kind: SensorKind,
  period: Period,
): Promise<ReadingsResult> {
  try {
    const readings: ReadingsAnswer = await api('get', '/api/homes/{homeId}/readings', {
      path: { homeId },
      query: { kind, ...period },
    });
    return { ok: true, readings };
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no_history_consent')
      return { ok: false, reason: 'no_history_consent', category: err.detail.category ?? '' };
    return { ok: false, reason: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
}

/** starts test mode for `minutes` (the server's default when left out), or ends it */
export const setHomeTest = (
  homeId: string,
  test: boolean,
  minutes?: number,
): Promise<{ home: HomeSummary }> =>
  api('patch', '/api/homes/{homeId}', {
    path: { homeId },
    body: { test, ...(test && minutes ? { minutes } : {}) },
  });
/** ends the home's and every device's test mode now (care staff of the home, technicians) */
export const endTestMode = (homeId: string) =>
  api('delete', '/api/homes/{homeId}/test-mode', { path: { homeId } });
export const updateDevice = (deviceId: string, patch: RequestBody<'/api/devices/{deviceId}', 'patch'>) =>
  api('patch', '/api/devices/{deviceId}', { path: { deviceId }, body: patch });
export const provisionDevice = (homeId: string, device: RequestBody<'/api/homes/{homeId}/devices', 'post'>) =>
  api('post', '/api/homes/{homeId}/devices', { path: { homeId }, body: device });
export const rotateSecret = (homeId: string, deviceId: string): Promise<{ secret: string }> =>
  api('post', '/api/homes/{homeId}/devices/{deviceId}/secret', { path: { homeId, deviceId } });
export interface TestReadingOutcome {
  reason: string;
  alert: { id: string; rule: string; test: boolean } | null;
  message: string;
}
export const sendTestReading = (
  deviceId: string,
  kind: SensorKind,
  value: number,
): Promise<{ stored: boolean; evaluated: boolean; outcome: TestReadingOutcome }> =>
  api('post', '/api/devices/{deviceId}/test-reading', { path: { deviceId }, body: { kind, value } });
export const technicianAlerts = (): Promise<{ alerts: TestAlert[] }> =>
  api('get', '/api/alerts', { query: { state: 'open,acknowledged' } });
export const clearTestAlert = (id: string) =>
  api('post', '/api/alerts/{id}/resolve', {
    path: { id },
    body: { outcome: 'no_action_needed', note: 'test' },
  });
