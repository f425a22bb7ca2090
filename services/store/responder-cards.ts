import type { Selectable } from 'kysely';
import type { ResponderCard, ResponderContact } from '../domain/index.ts';
import type { Db } from './open.ts';
import type { Tables } from './tables.ts';
import type { ResponderCardRepository } from './types.ts';

const toCard = (r: Selectable<Tables['responder_cards']>): ResponderCard => ({
  homeId: r.home_id,
  addressLines: JSON.parse(r.address_lines) as string[],
  postcode: r.postcode,
  city: r.city,
  keyBoxLocation: r.key_box_location ?? null,
  keyBoxCode: r.key_box_code ?? null,
  accessNotes: r.access_notes ?? null,
  citizenPhone: r.citizen_phone ?? null,
  contacts: JSON.parse(r.contacts) as ResponderContact[],
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
  updatedByRole: r.updated_by_role,
  detailsErasedAt: r.details_erased_at ?? null,
});

export function responderCards(db: Db): ResponderCardRepository {
  const get = async (homeId: string) => {
    const r = await db
      .selectFrom('responder_cards')
      .selectAll()
      .where('home_id', '=', homeId)
      .executeTakeFirst();
    return r ? toCard(r) : null;
  };
  return {
    get,
    async save(c, expectedUpdatedAt) {
      const row = {
        address_lines: JSON.stringify(c.addressLines),
        postcode: c.postcode,
        city: c.city,
        key_box_location: c.keyBoxLocation,
        key_box_code: c.keyBoxCode,
        access_notes: c.accessNotes,
        citizen_phone: c.citizenPhone,
        contacts: JSON.stringify([...c.contacts].sort((a, b) => a.priority - b.priority)),
        updated_at: c.updatedAt,
        updated_by: c.updatedBy,
        updated_by_role: c.updatedByRole,
        details_erased_at: c.detailsErasedAt,
      };
      // Each case is one conditional statement, so two processes saving at once cannot both win.
      let written: boolean;
      if (expectedUpdatedAt === undefined) {
        await db
          .insertInto('responder_cards')
          .values({ home_id: c.homeId, ...row })
          .onConflict((oc) => oc.column('home_id').doUpdateSet(row))
          .execute();
        written = true;
      } else if (expectedUpdatedAt === null) {
        // no card yet: only a first card is written
        const r = await db
          .insertInto('responder_cards')
          .values({ home_id: c.homeId, ...row })
          .onConflict((oc) => oc.column('home_id').doNothing())
          .executeTakeFirst();
        written = Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
      } else {
        const r = await db
          .updateTable('responder_cards')
          .set(row)
          .where('home_id', '=', c.homeId)
          .where('updated_at', '=', expectedUpdatedAt)
          .executeTakeFirst();
        written = Number(r.numUpdatedRows) === 1;
      }
      return written ? get(c.homeId) : null;
    },
    async eraseDetails(homeId, at) {
      const r = await db
        .updateTable('responder_cards')
        .set({
          key_box_location: null,
          key_box_code: null,
          access_notes: null,
          citizen_phone: null,
          contacts: '[]',
          details_erased_at: at,
        })
        .where('home_id', '=', homeId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
