import type { ResponderCard, ResponderContact } from '../domain/index.ts';
import type { Db } from './sqlite-open.ts';
import type { ResponderCardRepository } from './types.ts';

type Row = Record<string, unknown>;

const toCard = (r: Row): ResponderCard => ({
  homeId: r.home_id as string,
  addressLines: JSON.parse(r.address_lines as string) as string[],
  postcode: r.postcode as string,
  city: r.city as string,
  keyBoxLocation: (r.key_box_location as string | null) ?? null,
  keyBoxCode: (r.key_box_code as string | null) ?? null,
  accessNotes: (r.access_notes as string | null) ?? null,
  citizenPhone: (r.citizen_phone as string | null) ?? null,
  contacts: JSON.parse(r.contacts as string) as ResponderContact[],
  updatedAt: r.updated_at as number,
  updatedBy: r.updated_by as string,
  updatedByRole: r.updated_by_role as string,
  detailsErasedAt: (r.details_erased_at as number | null) ?? null,
});

export function sqliteResponderCards(db: Db): ResponderCardRepository {
  const select = db.prepare('SELECT * FROM responder_cards WHERE home_id = ?');
  const upsert = db.prepare(
    `INSERT INTO responder_cards (home_id, address_lines, postcode, city, key_box_location, key_box_code,
       access_notes, citizen_phone, contacts, updated_at, updated_by, updated_by_role, details_erased_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (home_id) DO UPDATE SET address_lines = excluded.address_lines, postcode = excluded.postcode,
       city = excluded.city, key_box_location = excluded.key_box_location, key_box_code = excluded.key_box_code,
       access_notes = excluded.access_notes, citizen_phone = excluded.citizen_phone, contacts = excluded.contacts,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by,
       updated_by_role = excluded.updated_by_role, details_erased_at = excluded.details_erased_at`,
  );
  const erase = db.prepare(
    `UPDATE responder_cards SET key_box_location = NULL, key_box_code = NULL, access_notes = NULL,
       citizen_phone = NULL, contacts = '[]', details_erased_at = ? WHERE home_id = ?`,
  );
  return {
    async get(homeId) {
      const r = select.get(homeId) as Row | undefined;
      return r ? toCard(r) : null;
    },
    async save(c, expectedUpdatedAt) {
      const write = db.transaction(() => {
        if (expectedUpdatedAt !== undefined) {
          const current = select.get(c.homeId) as Row | undefined;
          if (((current?.updated_at as number | undefined) ?? null) !== expectedUpdatedAt) return false;
        }
        upsert.run(
          c.homeId,
          JSON.stringify(c.addressLines),
          c.postcode,
          c.city,
          c.keyBoxLocation,
          c.keyBoxCode,
          c.accessNotes,
          c.citizenPhone,
          JSON.stringify([...c.contacts].sort((a, b) => a.priority - b.priority)),
          c.updatedAt,
          c.updatedBy,
          c.updatedByRole,
          c.detailsErasedAt,
        );
        return true;
      });
      return write() ? this.get(c.homeId) : null;
    },
    async eraseDetails(homeId, at) {
      return erase.run(at, homeId).changes > 0;
    },
  };
}
