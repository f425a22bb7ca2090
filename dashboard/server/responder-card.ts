import { z } from 'zod';
import {
  cardPartsDetail,
  ERASED_CARD_PARTS,
  type Home,
  type ResponderCard,
  type User,
} from '../../services/domain/index.ts';
import { forbidden, notFound } from '../../services/runtime/index.ts';
import { canSeeHome } from './access.ts';
import type { Actor, DashboardContext } from './context.ts';
import type { CsvValue } from './csv.ts';
import { purposeOf } from './transparency.ts';

/**
 * Who sees what of a home's responder's card:
 * - staff of the home's team, the citizen, a relative with a recorded, unrevoked power of attorney
 *   and administrators: the whole card, and they may edit it;
 * - the key-box code only on an explicit tap, audited as its own read, and only for those who may
 *   have to open the door: staff of the team, the citizen, the relative (not administrators, who set
 *   it up but never let themselves in);
 * - technicians: the address only (they visit homes; the people's phones, the key box and the notes
 *   are for care; a visit is arranged through the team).
 * Anyone who may not see the home gets 404, never 403.
 */
export type CardScope = 'full' | 'address';

export function cardHome(
  ctx: DashboardContext,
  user: User,
  homeId: string,
): { home: Home; scope: CardScope } {
  const home = ctx.registry.home(homeId);
  if (!home || !canSeeHome(user, homeId, ctx.registry)) throw notFound('home');
  return { home, scope: user.role === 'technician' ? 'address' : 'full' };
}

export function mayEditCard(user: User): boolean {
  return user.role !== 'technician';
}

export function mayRevealKeyBoxCode(user: User): boolean {
  return user.role === 'staff' || user.role === 'citizen' || user.role === 'relative';
}

export function editableCardHome(ctx: DashboardContext, user: User, homeId: string): Home {
  const { home } = cardHome(ctx, user, homeId);
  if (!mayEditCard(user)) throw forbidden('technicians see the address only; the team keeps the card');
  return home;
}

const Address = z.strictObject({
  lines: z.array(z.string()),
  postcode: z.string(),
  city: z.string(),
});

const Contact = z.strictObject({
  name: z.string(),
  relation: z.string(),
  phone: z.string().meta({ description: 'E.164, e.g. +4512345678; call it with a tel: link' }),
  priority: z.number().int(),
});

/** The card as the API shows it: never the key-box code itself, only whether there is one. */
export const ResponderCardView = z.strictObject({
  homeId: z.string(),
  homeLabel: z.string(),
  scope: z.enum(['full', 'address']).meta({ description: 'technicians get the address only' }),
  mayEdit: z.boolean(),
  mayRevealKeyBoxCode: z.boolean(),
  card: z
    .strictObject({
      address: Address,
      keyBoxLocation: z.string().nullable().optional(),
      hasKeyBoxCode: z.boolean().optional(),
      accessNotes: z.string().nullable().optional(),
      citizenPhone: z.string().nullable().optional(),
      contacts: z.array(Contact).optional(),
      updatedAt: z.number().int(),
      updatedByRole: z.string(),
      detailsErasedAt: z.number().int().nullable().meta({
        description: 'when an erasure request removed phones, key box and notes; the address stays',
      }),
    })
    .nullable()
    .meta({ description: 'null when no card has been made yet' }),
});
export type ResponderCardView = z.input<typeof ResponderCardView>;

export function cardView(
  home: Home,
  card: ResponderCard | null,
  scope: CardScope,
  user: User,
): ResponderCardView {
  const base = {
    homeId: home.id,
    homeLabel: home.label,
    scope,
    mayEdit: mayEditCard(user),
    mayRevealKeyBoxCode: mayRevealKeyBoxCode(user),
  };
  if (!card) return { ...base, card: null };
  const address = { lines: card.addressLines, postcode: card.postcode, city: card.city };
  const meta = {
    updatedAt: card.updatedAt,
    updatedByRole: card.updatedByRole,
    detailsErasedAt: card.detailsErasedAt,
  };
  if (scope === 'address') return { ...base, card: { address, ...meta } };
  return {
    ...base,
    card: {
      address,
      keyBoxLocation: card.keyBoxLocation,
      hasKeyBoxCode: card.keyBoxCode !== null,
      accessNotes: card.accessNotes,
      citizenPhone: card.citizenPhone,
      contacts: card.contacts,
      ...meta,
    },
  };
}

/** The card in the citizen's export: everything, the key-box code included (it is the citizen's own). */
export const ResponderCardExport = z.strictObject({
  address: Address,
  keyBoxLocation: z.string().nullable(),
  keyBoxCode: z.string().nullable(),
  accessNotes: z.string().nullable(),
  citizenPhone: z.string().nullable(),
  contacts: z.array(Contact),
  updatedAt: z.iso.datetime(),
  updatedByRole: z.string(),
  detailsErasedAt: z.iso.datetime().nullable(),
});

export function cardExport(card: ResponderCard): z.input<typeof ResponderCardExport> {
  return {
    address: { lines: card.addressLines, postcode: card.postcode, city: card.city },
    keyBoxLocation: card.keyBoxLocation,
    keyBoxCode: card.keyBoxCode,
    accessNotes: card.accessNotes,
    citizenPhone: card.citizenPhone,
    contacts: card.contacts,
    updatedAt: new Date(card.updatedAt).toISOString(),
    updatedByRole: card.updatedByRole,
    detailsErasedAt: card.detailsErasedAt === null ? null : new Date(card.detailsErasedAt).toISOString(),
  };
}

/** The card as CSV rows of the export: `action` names the field, `detail` holds its text. */
export function cardCsvRows(card: ResponderCard): Array<Record<string, CsvValue>> {
  const time = card.updatedAt;
  const row = (action: string, detail: string | null) => ({
    section: 'responder_card',
    time,
    actor_role: card.updatedByRole,
    action,
    detail,
  });
  return [
    row('address', [...card.addressLines, `${card.postcode} ${card.city}`].join(', ')),
    row('key_box_location', card.keyBoxLocation),
    row('key_box_code', card.keyBoxCode),
    row('access_notes', card.accessNotes),
    row('citizen_phone', card.citizenPhone),
    ...card.contacts.map((c) => row('contact', `${c.priority}. ${c.name} (${c.relation}): ${c.phone}`)),
  ];
}

/**
 * Part of an erasure request: the card's phone numbers, contacts, key box and notes go; the address
 * stays while the home is served, since a responder cannot come without it. Audited.
 */
export async function eraseCardDetails(ctx: DashboardContext, actor: Actor, homeId: string): Promise<void> {
  if (await ctx.responderCards.eraseDetails(homeId, ctx.clock.now()))
    await ctx.auditLog.append({
      at: ctx.clock.now(),
      actorId: actor.user.id,
      actorRole: actor.user.role,
      action: 'responder_card.erase',
      homeId,
      purpose: purposeOf(actor.user.role),
      detail: cardPartsDetail(ERASED_CARD_PARTS),
    });
}
