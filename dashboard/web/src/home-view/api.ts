import { call } from '../api.ts';

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

export const listHomes = (q = '', limit = 100) =>
  call<{ homes: HomeSummary[]; total: number }>(
    'GET',
    `/api/homes?${new URLSearchParams({ ...(q ? { q } : {}), limit: String(limit) })}`,
  );
export const getHome = (id: string) =>
  call<{ home: HomeSummary }>('GET', `/api/homes/${encodeURIComponent(id)}`);
export const homeDevices = (id: string) =>
  call<{ devices: DeviceStatus[]; at: number }>('GET', `/api/homes/${encodeURIComponent(id)}/devices`);

/** GET needs no CSRF token, so this reads the error body itself to tell a missing consent apart. */
export async function homeReadings(homeId: string, kind: string, period: Period): Promise<ReadingsResult> {
  const q = new URLSearchParams({ kind, ...period });
  const res = await fetch(`/api/homes/${encodeURIComponent(homeId)}/readings?${q}`, {
    credentials: 'same-origin',
  });
  const body = (await res.json().catch(() => ({}))) as {
    error?: string;
    message?: string;
    detail?: { category?: string };
  };
  if (res.ok) return { ok: true, readings: body as unknown as ReadingsAnswer };
  if (body.error === 'no_history_consent')
    return { ok: false, reason: 'no_history_consent', category: body.detail?.category ?? '' };
  return { ok: false, reason: 'failed', message: body.message ?? res.statusText };
}

/** starts test mode for `minutes` (the server's default when left out), or ends it */
export const setHomeTest = (id: string, test: boolean, minutes?: number) =>
  call<{ home: HomeSummary }>('PATCH', `/api/homes/${encodeURIComponent(id)}`, {
    test,
    ...(test && minutes ? { minutes } : {}),
  });
/** ends the home's and every device's test mode now (care staff of the home, technicians) */
export const endTestMode = (id: string) =>
  call<undefined>('DELETE', `/api/homes/${encodeURIComponent(id)}/test-mode`);
export const updateDevice = (
  id: string,
  patch: { test?: boolean; minutes?: number; reportIntervalS?: number },
) => call<{ device: DeviceStatus }>('PATCH', `/api/devices/${encodeURIComponent(id)}`, patch);
export const provisionDevice = (
  homeId: string,
  device: { id: string; kinds: string[]; role: string; reportIntervalS: number; test: boolean },
) =>
  call<{ device: DeviceStatus; secret: string }>(
    'POST',
    `/api/homes/${encodeURIComponent(homeId)}/devices`,
    device,
  );
export const rotateSecret = (homeId: string, deviceId: string) =>
  call<{ secret: string }>(
    'POST',
    `/api/homes/${encodeURIComponent(homeId)}/devices/${encodeURIComponent(deviceId)}/secret`,
  );
export interface TestReadingOutcome {
  reason: string;
  alert: { id: string; rule: string; test: boolean } | null;
  message: string;
}
export const sendTestReading = (deviceId: string, kind: string, value: number) =>
  call<{ stored: boolean; evaluated: boolean; outcome: TestReadingOutcome }>(
    'POST',
    `/api/devices/${encodeURIComponent(deviceId)}/test-reading`,
    { kind, value },
  );
export const technicianAlerts = () =>
  call<{ alerts: TestAlert[] }>('GET', '/api/alerts?state=open,acknowledged');
export const clearTestAlert = (id: string) =>
  call<unknown>('POST', `/api/alerts/${encodeURIComponent(id)}/resolve`, {
    outcome: 'no_action_needed',
    note: 'test',
  });
