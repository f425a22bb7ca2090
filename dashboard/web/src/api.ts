/** Talks to the REST API with the session cookie and the CSRF token. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: string;
  teamIds: string[];
  homeId: string | null;
  /** an administrator reset the password: choosing a new one comes first */
  mustChangePassword?: boolean;
}

export interface Alert {
  id: string;
  homeId: string;
  homeLabel: string;
  rule: string;
  category: string;
  audience?: 'care' | 'technical';
  severity: 'critical' | 'high' | 'medium' | 'low';
  state: 'open' | 'acknowledged' | 'resolved';
  openedAt: number;
  lastSeenAt: number;
  repeats: number;
  evidence: {
    summary: string;
    readings?: Array<{ deviceId: string; kind: string; value: number; ts: number }>;
    thresholds?: Record<string, string | number>;
    /** raised while a technician had the home or device in test mode, until then */
    testMode?: { until: number };
  };
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  /** who said "I'm on it", by name; only those who may handle the alert get it */
  acknowledgedByName?: string | null;
  /** the home's team */
  team?: { id: string; name: string };
  resolvedAt?: number | null;
  outcome?: string | null;
  note?: string | null;
  /** what allowed this alert to be raised; null for technical alerts */
  legalBasis?: {
    basis: string;
    grantedAt: number;
    reference: string | null;
    reviewDue: string | null;
  } | null;
  /** 0 = the team's screens; 1 = escalated to the whole team; 2 = handed to the fallback */
  escalationLevel: number;
  /** a test alert (a technician's test reading, a test home or device): pages no one */
  test?: boolean;
  /** what was really done to reach people outside the board, from the recorded attempts */
  delivery: { fallback: 'configured' | 'none'; channels: DeliveryChannel[] };
}

/** One way out of the board that was tried about an alert (services/domain DeliveryChannel). */
export interface DeliveryChannel {
  notifier: string;
  target: string;
  level: number;
  notices: number;
  attempts: number;
  delivered: boolean;
  at: number;
  detail: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** the fields a 400 named, with the server's reason (English) and its stable code */
    readonly issues: Array<{ path: string; message: string; code?: string }> = [],
    /** the server's stable codes (`error`, and the more precise `reason`): errors.ts words them */
    readonly code = `http_${status}`,
    readonly reason?: string,
    /** facts the words may name (`min`, `max` …), never personal data */
    readonly detail: Record<string, string> = {},
  ) {
    super(message);
  }
}

let csrf = '';

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as {
    error?: string;
    reason?: string;
    detail?: Record<string, string>;
    message?: string;
    issues?: Array<{ path: string; message: string; code?: string }>;
  } & T;
  if (!res.ok)
    throw new ApiError(
      res.status,
      data.message ?? res.statusText,
      data.issues ?? [],
      data.error,
      data.reason,
      data.detail ?? {},
    );
  return data;
}

export async function currentSession(): Promise<User | null> {
  try {
    const s = await call<{ user: User; csrfToken: string }>('GET', '/api/session');
    csrf = s.csrfToken;
    return s.user;
  } catch {
    return null;
  }
}

export async function login(username: string, password: string): Promise<User> {
  const s = await call<{ user: User; csrfToken: string }>('POST', '/api/session', { username, password });
  csrf = s.csrfToken;
  return s.user;
}

export const logout = () => call<void>('DELETE', '/api/session');
export const openAlerts = () => call<{ alerts: Alert[] }>('GET', '/api/alerts?state=open,acknowledged');
export const acknowledge = (id: string) =>
  call<{ alert: Alert }>('POST', `/api/alerts/${encodeURIComponent(id)}/acknowledge`);
export const resolve = (id: string, outcome: string, note: string) =>
  call<{ alert: Alert }>('POST', `/api/alerts/${encodeURIComponent(id)}/resolve`, { outcome, note });

export interface LoginProvider {
  id: string;
  kind: 'password' | 'redirect';
  label?: { da: string; en: string };
  start?: string;
}

export const loginProviders = () =>
  call<{ providers: LoginProvider[] }>('GET', '/api/session/providers').then((r) => r.providers);
