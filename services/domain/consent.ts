import { z } from 'zod';
import type { HomeId } from './ids.ts';
import {
  CONSENT_CATEGORIES,
  type ConsentCategory,
  ConsentCategory as ConsentCategorySchema,
} from './sensors.ts';

/** What consent is for: `alerts` lets staff get alerts; `history` lets readings be stored and shown as trends. */
export const PURPOSES = ['alerts', 'history'] as const;
export const Purpose = z.enum(PURPOSES);
export type Purpose = z.infer<typeof Purpose>;

/** Who made a consent change, and how it reached us. */
export const CONSENT_CHANNELS = ['web', 'paper', 'phone', 'in_person', 'system'] as const;
export const ConsentChannel = z.enum(CONSENT_CHANNELS);
export type ConsentChannel = z.infer<typeof ConsentChannel>;

export const ConsentAction = z.enum(['grant', 'withdraw']);
export type ConsentAction = z.infer<typeof ConsentAction>;

/** A request to change consent, as the API takes it. The actor comes from the session, never the body. */
export const ConsentChangeRequest = z
  .object({
    category: ConsentCategorySchema,
    purpose: Purpose,
    action: ConsentAction,
    channel: ConsentChannel.default('web'),
    /** the version of the plain-language information text that was shown */
    textVersion: z.string().min(1).max(40),
    /** set when a relative or staff member acts for the citizen: the citizen's person id */
    onBehalfOf: z.string().min(1).max(64).optional(),
    /** paper form number or case reference, required for channel `paper` */
    reference: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((r) => r.channel !== 'paper' || r.reference !== undefined, {
    message: 'a paper consent needs the form reference',
    path: ['reference'],
  });
export type ConsentChangeRequest = z.infer<typeof ConsentChangeRequest>;

/** One append-only consent event as stored. */
export interface ConsentEvent {
  id: number;
  homeId: HomeId;
  category: ConsentCategory;
  purpose: Purpose;
  action: ConsentAction;
  /** user id of whoever made the change */
  actorId: string;
  actorRole: string;
  onBehalfOf: string | null;
  channel: ConsentChannel;
  textVersion: string;
  reference: string | null;
  /** epoch ms */
  at: number;
}

/** The current consent of a home, derived from its events. Default: nothing granted. */
export type ConsentScope = Record<ConsentCategory, Record<Purpose, boolean>>;

export function emptyScope(): ConsentScope {
  const scope = {} as ConsentScope;
  for (const c of CONSENT_CATEGORIES) scope[c] = { alerts: false, history: false };
  return scope;
}

export function scopeFromEvents(
  events: Iterable<Pick<ConsentEvent, 'category' | 'purpose' | 'action'>>,
): ConsentScope {
  const scope = emptyScope();
  for (const e of events) scope[e.category][e.purpose] = e.action === 'grant';
  return scope;
}
