/**
 * Compile-time checks of the typed client, run by `npm run check` (tsc with the web tsconfig) and
 * never bundled: each `@ts-expect-error` line must be an error, so a client that accepted anything
 * (an `any` somewhere) would fail the check.
 */
import { type ApiResponse, api } from './client.ts';

export async function typedClientChecks(): Promise<void> {
  // a documented route: the answer has the route's fields
  const { alerts } = await api('get', '/api/alerts', { query: { state: 'open' } });
  const severity: 'critical' | 'high' | 'medium' | 'low' = alerts[0]!.severity;
  // @ts-expect-error an alert has no such field
  alerts[0]!.nonsense;
  // @ts-expect-error not a documented path
  await api('get', '/api/no-such-route');
  // @ts-expect-error the route has no GET
  await api('get', '/api/alerts/{id}/acknowledge', { path: { id: 'a' } });
  // @ts-expect-error a path parameter is required
  await api('post', '/api/alerts/{id}/acknowledge');
  // @ts-expect-error the outcome is one of the route's
  await api('post', '/api/alerts/{id}/resolve', { path: { id: 'a' }, body: { outcome: 'whatever' } });
  // @ts-expect-error the query's period is 24h or 7d
  await api('get', '/api/resolved-alerts', { query: { period: '30d' } });
  const none: ApiResponse<'/api/session', 'delete'> = undefined;
  void [severity, none];
}
