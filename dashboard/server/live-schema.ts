import { z } from 'zod';
import type { AlertsOff } from '../../services/consent/index.ts';
import type {
  LiveAlertsOff,
  LiveConnectQuery,
  LiveServerMessage,
  LiveUser,
} from '../../services/domain/shared/live-messages.ts';
import type { AlertViewModel } from './alert-view.ts';
import type { publicUser } from './auth.ts';

/**
 * What a browser sends to open `/live`: `?since=<seq>`, a whole number from 0, to resume. Checked
 * below to be exactly the shared `LiveConnectQuery` (services/domain/shared/live-messages.ts), so
 * the browser that builds the URL and the server that reads it cannot drift apart.
 */
export const LiveQuery = z.object({
  since: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** what the server sends on /live: the shared message types, with the alert as the API shows it */
export type LiveMessage = LiveServerMessage<AlertViewModel>;

/** true when A and B are the same type (neither wider nor narrower) */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Compile-time checks (tsc fails when one of these is false): the zod schema and the shared type
// describe the same query, and what the server builds is what the shared messages say.
export const liveSchemaChecks = {
  query: true satisfies Same<z.output<typeof LiveQuery>, LiveConnectQuery>,
  user: true satisfies Same<ReturnType<typeof publicUser>, LiveUser>,
  alertsOff: true satisfies Same<AlertsOff, LiveAlertsOff>,
} as const;
