/** The session and the board's calls, and the API types the pages share (from `api/schema.d.ts`). */
import { type ApiResponse, api, setCsrfToken } from './api/client.ts';

export { ApiError } from './api/client.ts';

/** the logged-in person, as `GET /api/session` describes them */
export type User = ApiResponse<'/api/session', 'get'>['user'];

/** an alert as the board gets it (`GET /api/alerts`, and the same view on `/live`) */
export type Alert = ApiResponse<'/api/alerts', 'get'>['alerts'][number];

/** One way out of the board that was tried about an alert (services/domain DeliveryChannel). */
export type DeliveryChannel = Alert['delivery']['channels'][number];
/** A notice about an alert the outbox has not delivered (services/domain UndeliveredNotice). */
export type UndeliveredNotice = Alert['delivery']['undelivered'][number];

export async function currentSession(): Promise<User | null> {
  try {
    const s = await api('get', '/api/session');
    setCsrfToken(s.csrfToken);
    return s.user;
  } catch {
    return null;
  }
}

export async function login(username: string, password: string): Promise<User> {
  const s = await api('post', '/api/session', { body: { username, password } });
  setCsrfToken(s.csrfToken);
  return s.user;
}

export const logout = () => api('delete', '/api/session');
export const openAlerts = () => api('get', '/api/alerts', { query: { state: 'open,acknowledged' } });
export const acknowledge = (id: string) => api('post', '/api/alerts/{id}/acknowledge', { path: { id } });
/** "På vej" and "Fremme": one tap each; who and when are the server's (no body) */
export const setOut = (id: string) => api('post', '/api/alerts/{id}/en-route', { path: { id } });
export const arrive = (id: string) => api('post', '/api/alerts/{id}/arrived', { path: { id } });
export const resolve = (id: string, outcome: Outcome, note: string) =>
  api('post', '/api/alerts/{id}/resolve', { path: { id }, body: { outcome, note } });

/** what a worker can say happened, when resolving */
export type Outcome = NonNullable<Alert['outcome']>;

export type LoginProvider = ApiResponse<'/api/session/providers', 'get'>['providers'][number];

export const loginProviders = () => api('get', '/api/session/providers').then((r) => r.providers);
