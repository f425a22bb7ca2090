import { z } from 'zod';
import {
  type CardPart,
  cardPartsDetail,
  HomeId,
  ResponderCardInput,
} from '../../../services/domain/index.ts';
import { forbidden, TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';
import {
  cardHome,
  cardView,
  editableCardHome,
  mayRevealKeyBoxCode,
  ResponderCardView,
} from '../responder-card.ts';
import { purposeOf } from '../transparency.ts';

const HomeParams = z.object({ homeId: HomeId });

/**
 * The responder's card of a home (issue 11 point 1): address, key box, phones, access notes. Every
 * read is audited with its purpose and shown to the citizen; the key-box code is a read of its own.
 * Nothing of it is logged: the audit detail names the parts changed, never their content.
 */
export function responderCardRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/responder-card',
      summary:
        "The home's responder's card: address, entry, phones of the citizen and contacts, access notes",
      description:
        "Staff of the home's team, the citizen, a relative with power of attorney and administrators see the whole card " +
        '(the key-box code only through its own call); technicians the address only. Every read is in the citizen’s access log.',
      tag: 'homes',
      access: 'session',
      params: HomeParams,
      response: { status: 200, description: 'the card, or `card: null`', schema: ResponderCardView },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const { home, scope } = cardHome(ctx, actor.user, params.homeId);
        audit(
          ctx,
          actor,
          'responder_card.read',
          home.id,
          purposeOf(actor.user.role),
          scope === 'address' ? 'address' : null,
        );
        return cardView(home, await ctx.responderCards.get(home.id), scope, actor.user);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/homes/:homeId/responder-card',
      summary: "Create or replace the home's responder's card",
      description:
        'Staff of the home’s team, the citizen, a relative with power of attorney, administrators. Phone numbers are ' +
        'stored as E.164 (8 digits alone are Danish). `entry.keyBoxCode`: absent keeps the code on file, null removes it.',
      tag: 'homes',
      access: ['staff', 'citizen', 'relative', 'admin'],
      params: HomeParams,
      body: ResponderCardInput,
      response: { status: 200, description: 'the card as saved', schema: ResponderCardView },
      errors: ['not_found', 'conflict'],
      handle: async ({ params, body, actor }) => {
        const home = editableCardHome(ctx, actor.user, params.homeId);
        const before = await ctx.responderCards.get(home.id);
        const keyBoxCode =
          body.entry.keyBoxCode === undefined ? (before?.keyBoxCode ?? null) : body.entry.keyBoxCode;
        const saved = await ctx.responderCards.save(
          {
            homeId: home.id,
            addressLines: body.address.lines,
            postcode: body.address.postcode,
            city: body.address.city,
            keyBoxLocation: body.entry.keyBoxLocation,
            keyBoxCode,
            accessNotes: body.accessNotes,
            citizenPhone: body.citizenPhone,
            contacts: body.contacts,
            // strictly later than the card it replaces, so a stale form's stamp never matches a newer card
            updatedAt: Math.max(ctx.clock.now(), (before?.updatedAt ?? 0) + 1),
            updatedBy: actor.user.id,
            updatedByRole: actor.user.role,
            detailsErasedAt: null,
          },
          body.expectedUpdatedAt,
        );
        if (!saved)
          throw new TryghedError(
            'conflict',
            'the card was changed by someone else since it was read; read it again and redo the change',
          );
        // which parts changed, by name only: the audit log and the citizen's view say what was touched
        // (codes, worded by the pages and the export from the message catalog)
        const changed = [
          JSON.stringify([before?.addressLines, before?.postcode, before?.city]) !==
            JSON.stringify([saved.addressLines, saved.postcode, saved.city]) && 'address',
          (before?.keyBoxLocation ?? null) !== saved.keyBoxLocation && 'key_box_location',
          (before?.keyBoxCode ?? null) !== saved.keyBoxCode && 'key_box_code',
          (before?.accessNotes ?? null) !== saved.accessNotes && 'access_notes',
          (before?.citizenPhone ?? null) !== saved.citizenPhone && 'citizen_phone',
          JSON.stringify(before?.contacts ?? []) !== JSON.stringify(saved.contacts) && 'contacts',
        ].filter((p): p is CardPart => p !== false);
        audit(
          ctx,
          actor,
          'responder_card.update',
          home.id,
          purposeOf(actor.user.role),
          cardPartsDetail(changed),
        );
        return cardView(home, saved, 'full', actor.user);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/responder-card/key-box-code',
      summary: 'Show the key-box code: an explicit, audited read of its own',
      description:
        'Staff of the home’s team, the citizen and a relative with power of attorney: those who may have to open the door. ' +
        'A POST (with the CSRF token) because showing it is a deliberate act that is recorded.',
      tag: 'homes',
      access: ['staff', 'citizen', 'relative'],
      params: HomeParams,
      body: z.strictObject({}),
      response: {
        status: 200,
        description: 'the code, or null when none is on file',
        schema: z.strictObject({ keyBoxCode: z.string().nullable() }),
      },
      errors: ['not_found'],
      handle: async ({ params, actor }) => {
        const { home } = cardHome(ctx, actor.user, params.homeId);
        if (!mayRevealKeyBoxCode(actor.user))
          throw forbidden('the key-box code is for those who may have to open the door', 'key_box_code');
        await ctx.auditLog.append({
          at: ctx.clock.now(),
          actorId: actor.user.id,
          actorRole: actor.user.role,
          action: 'responder_card.key_box_code.read',
          homeId: home.id,
          purpose: purposeOf(actor.user.role),
          detail: null,
        });
        const card = await ctx.responderCards.get(home.id);
        return { keyBoxCode: card?.keyBoxCode ?? null };
      },
    }),
  ];
}
