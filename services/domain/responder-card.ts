import { z } from 'zod';

/**
 * The responder's card ("beredskabskort"): what a care worker acting on an alert needs to reach
 * the citizen: the address, how to get in, who to call. Personal data: it lives in the relational
 * store only, never in InfluxDB, logs or notifier payloads.
 */

const DANISH = /^(?:\+45|0045)?(\d{8})$/;
const INTERNATIONAL = /^(?:\+|00)([1-9]\d{6,14})$/;

/**
 * A phone number as people type it ("12 34 56 78", "+45 1234-5678", "0046 70 123 45 67"), as
 * E.164 (`+4512345678`), or null when it is not one. Eight digits alone are Danish.
 */
export function normalisePhone(input: string): string | null {
  const compact = input.replace(/[\s\-().]/g, '');
  const dk = DANISH.exec(compact);
  if (dk) return `+45${dk[1]}`;
  const intl = INTERNATIONAL.exec(compact);
  return intl ? `+${intl[1]}` : null;
}

/** A phone number for the eye: Danish ones in pairs (`+45 12 34 56 78`), others as stored. */
export function displayPhone(e164: string): string {
  const dk = /^\+45(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(e164);
  return dk ? `+45 ${dk.slice(1).join(' ')}` : e164;
}

const PhoneNumber = z
  .string()
  .trim()
  .max(25)
  .transform((v, ctx) => {
    const phone = normalisePhone(v);
    if (!phone) {
      ctx.addIssue({
        code: 'custom',
        message: 'a phone number: 8 digits (Danish), or + and the country code (e.g. +46 70 123 45 67)',
      });
      return z.NEVER;
    }
    return phone;
  });

const line = (max: number) => z.string().trim().min(1).max(max);
/** free text that may be cleared: empty becomes null */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullable()
    .transform((v) => (v ? v : null));

export const MAX_CONTACTS = 6;

export const ResponderContactInput = z.strictObject({
  name: line(100),
  /** how the contact is related: "datter", "nabo", "egen læge" */
  relation: line(60),
  phone: PhoneNumber,
  /** who to call first: 1 is first */
  priority: z.number().int().min(1).max(MAX_CONTACTS),
});

/**
 * A card as it is saved (PUT). The key-box code is never sent back by a form: `keyBoxCode` absent
 * keeps the code on file, null removes it, a string sets it.
 */
export const ResponderCardInput = z.strictObject({
  address: z.strictObject({
    lines: z.array(line(100)).min(1).max(3),
    postcode: z
      .string()
      .trim()
      .regex(/^\d{4}$/, 'a Danish postcode: 4 digits'),
    city: line(60),
  }),
  entry: z.strictObject({
    /** where the key box is ("til venstre for hoveddøren"); the code is asked for separately */
    keyBoxLocation: optionalText(200),
    keyBoxCode: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z#* -]{1,20}$/, 'a key-box code: letters, digits, #, * and -, at most 20')
      .nullable()
      .optional(),
  }),
  /** a dog, stairs, a door code, "ring on the neighbour's door" */
  accessNotes: optionalText(1000),
  citizenPhone: PhoneNumber.nullable(),
  /**
   * `updatedAt` of the card the form was filled from (null: there was none): a card changed by
   * someone else in the meantime is refused with 409 instead of being overwritten. Absent: no check.
   */
  expectedUpdatedAt: z.number().int().nullable().optional(),
  contacts: z
    .array(ResponderContactInput)
    .max(MAX_CONTACTS)
    .refine((cs) => new Set(cs.map((c) => c.priority)).size === cs.length, {
      message: 'each contact needs its own priority (1 is called first)',
    }),
});
export type ResponderCardInput = z.output<typeof ResponderCardInput>;

export interface ResponderContact {
  name: string;
  relation: string;
  /** E.164 */
  phone: string;
  priority: number;
}

/** A card as stored. */
export interface ResponderCard {
  homeId: string;
  addressLines: string[];
  postcode: string;
  city: string;
  keyBoxLocation: string | null;
  keyBoxCode: string | null;
  accessNotes: string | null;
  /** E.164 */
  citizenPhone: string | null;
  /** sorted by priority, first to call first */
  contacts: ResponderContact[];
  updatedAt: number;
  updatedBy: string;
  updatedByRole: string;
  /** when an erasure request removed the phone numbers, key box and notes (the address stays) */
  detailsErasedAt: number | null;
}
