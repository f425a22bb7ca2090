/**
 * The parts of a responder's card an audit entry names (`responder_card.update`: the parts changed;
 * `responder_card.erase`: the parts erased), as codes the pages and the export word from the
 * message catalog. Plain constants, shared with the browser app.
 */
export const CARD_PARTS = [
  'address',
  'key_box_location',
  'key_box_code',
  'access_notes',
  'citizen_phone',
  'contacts',
] as const;
export type CardPart = (typeof CARD_PARTS)[number];

/** what an erasure removes from the card: everything but the address */
export const ERASED_CARD_PARTS: readonly CardPart[] = CARD_PARTS.filter((p) => p !== 'address');

/** The audit detail for these parts: their codes, comma-separated; `nothing` when none. */
export function cardPartsDetail(parts: readonly CardPart[]): string {
  return parts.length > 0 ? parts.join(',') : 'nothing';
}

/** English words older entries were recorded with, before codes */
const LEGACY: Record<string, CardPart[]> = {
  address: ['address'],
  'key box location': ['key_box_location'],
  'key-box code': ['key_box_code'],
  'access notes': ['access_notes'],
  'citizen phone': ['citizen_phone'],
  contacts: ['contacts'],
  nothing: [],
  'phones, contacts, key box and notes; the address stays': [...ERASED_CARD_PARTS],
};

const isPart = (s: string): s is CardPart => (CARD_PARTS as readonly string[]).includes(s);

/**
 * The parts an audit detail of a card change names, from codes or from the English words older
 * entries hold; null when the detail is neither (shown as it is).
 */
export function cardPartsOf(detail: string | null): CardPart[] | null {
  if (detail === null) return null;
  const whole = LEGACY[detail];
  if (whole) return [...whole];
  const parts: CardPart[] = [];
  for (const raw of detail.split(',')) {
    const item = raw.trim();
    const legacy = LEGACY[item];
    if (isPart(item)) parts.push(item);
    else if (legacy) parts.push(...legacy);
    else return null;
  }
  return parts;
}
