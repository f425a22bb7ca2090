import { z } from 'zod';
import type { HomeId } from './ids.ts';
import {
  CONSENT_CATEGORIES,
  type ConsentCategory,
  ConsentCategory as ConsentCategorySchema,
} from './sensors.ts';
import { PURPOSES } from './shared/sensor-kinds.ts';

/** What consent is for: `alerts` lets staff get alerts; `history` lets readings be stored and shown as trends. */
export { PURPOSES };
export const Purpose = z.enum(PURPOSES);
export type Purpose = z.infer<typeof Purpose>;

/** Who made a consent change, and how it reached us. */
export const CONSENT_CHANNELS = ['web', 'paper', 'phone', 'in_person', 'system'] as const;
export const ConsentChannel = z.enum(CONSENT_CHANNELS);
export type ConsentChannel = z.infer<typeof ConsentChannel>;

/**
 * What allows monitoring of a category for a purpose:
 * - `own_consent`: the citizen's own consent;
 * - `power_of_attorney`: a relative registered (and verified by staff) with power of attorney for the citizen;
 * - `paper_form`: consent on a paper form, recorded by staff with the form's reference;
 * - `municipal_decision`: a decision under Serviceloven § 128 a without consent, with a case reference and a review date.
 */
export const LEGAL_BASES = ['own_consent', 'power_of_attorney', 'paper_form', 'municipal_decision'] as const;
export const LegalBasis = z.enum(LEGAL_BASES);
export type LegalBasis = z.infer<typeof LegalBasis>;

const ISO_DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/**
 * A paper form's number or a case reference, as written on the document: printable characters only.
 * No control or invisible formatting characters (line breaks, NUL, bidirectional overrides that make
 * a reference read as another) and no angle brackets: it is shown to the citizen and staff, and
 * exported (the CSV export defuses formula-like cells on its own).
 */
export const Reference = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{C}<>]+$/u, 'printable characters, without < or >');

export const ConsentAction = z.enum(['grant', 'withdraw']);
export type ConsentAction = z.infer<typeof ConsentAction>;

/** A request to change consent, as the API takes it. The actor comes from the session, never the body. */
export const ConsentChangeRequest = z
  .object({
    category: ConsentCategorySchema,
    purpose: Purpose,
    action: ConsentAction,
    channel: ConsentChannel.default('web'),
    /** the legal basis of a grant; a withdrawal ends whatever basis there was */
    basis: LegalBasis.optional(),
    /** for a § 128 a decision: when it must be reviewed (YYYY-MM-DD) */
    reviewDue: ISO_DATE.optional(),
    /** the version of the plain-language information text that was shown; checked against the texts */
    textVersion: z.string().min(1).max(40),
    // No `onBehalfOf` and no actor: who acts, and for whom, is derived on the server from the
    // session and the recorded powers of attorney. A body naming either is refused (strict).
    /** paper form number or case reference: only for a paper form (or a withdrawal on paper) and a § 128 a decision */
    reference: Reference.optional(),
  })
  .strict()
  .refine(
    (r) =>
      r.reference === undefined ||
      r.basis === 'paper_form' ||
      r.basis === 'municipal_decision' ||
      (r.action === 'withdraw' && r.channel === 'paper'),
    {
      message: 'a reference belongs only to a paper form or a § 128 a decision',
      path: ['reference'],
    },
  )
  .refine((r) => r.channel !== 'paper' || r.reference !== undefined, {
    message: 'a paper consent needs the form reference',
    path: ['reference'],
  })
  .refine((r) => r.basis !== 'paper_form' || r.reference !== undefined, {
    message: 'a paper form needs its reference',
    path: ['reference'],
  })
  .refine((r) => r.basis !== 'municipal_decision' || r.reference !== undefined, {
    message: 'a § 128 a decision needs its case reference',
    path: ['reference'],
  })
  .refine((r) => r.basis !== 'municipal_decision' || r.reviewDue !== undefined, {
    message: 'a § 128 a decision needs a review date',
    path: ['reviewDue'],
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
  /** the legal basis of a grant; null on a withdrawal */
  basis: LegalBasis | null;
  /** for a § 128 a decision, YYYY-MM-DD */
  reviewDue: string | null;
  /** epoch ms */
  at: number;
}

/** The grant an alert or a stored reading rests on, as shown to staff and to the citizen. */
export interface LegalBasisRef {
  basis: LegalBasis;
  /** the consent event that granted it */
  eventId: number;
  grantedAt: number;
  actorRole: string;
  onBehalfOf: string | null;
  reference: string | null;
  reviewDue: string | null;
  textVersion: string;
}

export function legalBasisOf(event: ConsentEvent): LegalBasisRef | null {
  if (event.action !== 'grant' || event.basis === null) return null;
  return {
    basis: event.basis,
    eventId: event.id,
    grantedAt: event.at,
    actorRole: event.actorRole,
    onBehalfOf: event.onBehalfOf,
    reference: event.reference,
    reviewDue: event.reviewDue,
    textVersion: event.textVersion,
  };
}

/** A relative's verified power of attorney for one citizen's home. */
export interface PowerOfAttorney {
  id: number;
  relativeUserId: string;
  homeId: HomeId;
  /** the staff member who verified the document */
  verifiedBy: string;
  verifiedAt: number;
  /** the document's reference (no scan is stored) */
  reference: string;
  revokedAt: number | null;
  revokedBy: string | null;
}

/** The current consent of a home, derived from its events. Default: nothing granted. */
export type ConsentScope = Record<ConsentCategory, Record<Purpose, boolean>>;

/**
 * What a home's gateway is told: per category, whether readings may leave the home (to raise
 * alerts, to be kept, or to be summarised at a night round). Sharing a handled alert with the care
 * record concerns what the platform does with what it already has, never a reading, so the gateway
 * is not told of it.
 */
export type GatewayScope = Record<
  ConsentCategory,
  { alerts: boolean; history: boolean; night_round: boolean }
>;

export function gatewayScope(scope: ConsentScope): GatewayScope {
  const out = {} as GatewayScope;
  for (const c of CONSENT_CATEGORIES)
    out[c] = { alerts: scope[c].alerts, history: scope[c].history, night_round: scope[c].night_round };
  return out;
}

/**
 * The message retained on a home's config topic. `consent` keeps the shape every gateway release
 * accepts, `{alerts, history}` per category: gateways built before 7a412c0 parse each grant with a
 * strict schema and would refuse the whole message (and so keep an older scope, a withdrawal with
 * it) if a grant named another purpose. What newer purposes add goes beside it, at the top level,
 * which every release ignores when it does not know it: `night_round` per category. An older gateway
 * then holds back a category consented to for the night round only (never sends more than consented).
 */
export interface HomeConfig {
  consent: Record<ConsentCategory, { alerts: boolean; history: boolean }>;
  night_round: Record<ConsentCategory, boolean>;
  /** platform time (epoch ms) it was made; a gateway never lets an older one replace a newer */
  at: number;
}

export function homeConfig(scope: ConsentScope, at: number): HomeConfig {
  const consent = {} as HomeConfig['consent'];
  const nightRound = {} as HomeConfig['night_round'];
  for (const c of CONSENT_CATEGORIES) {
    consent[c] = { alerts: scope[c].alerts, history: scope[c].history };
    nightRound[c] = scope[c].night_round;
  }
  return { consent, night_round: nightRound, at };
}

export function emptyScope(): ConsentScope {
  const scope = {} as ConsentScope;
  for (const c of CONSENT_CATEGORIES)
    scope[c] = Object.fromEntries(PURPOSES.map((p) => [p, false])) as Record<Purpose, boolean>;
  return scope;
}
