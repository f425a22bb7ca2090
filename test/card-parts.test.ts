import { describe, expect, it } from 'vitest';
import { CARD_PARTS, cardPartsDetail, cardPartsOf } from '../services/domain/index.ts';

describe("the parts of a responder's card an audit entry names", () => {
  it('are recorded as codes and read back', () => {
    expect(cardPartsDetail(['address', 'contacts'])).toBe('address,contacts');
    expect(cardPartsOf(cardPartsDetail([...CARD_PARTS]))).toEqual([...CARD_PARTS]);
    expect(cardPartsOf(cardPartsDetail([]))).toEqual([]);
  });

  it('read the English words older entries hold the same way', () => {
    expect(
      cardPartsOf('address, key box location, key-box code, access notes, citizen phone, contacts'),
    ).toEqual([...CARD_PARTS]);
    expect(cardPartsOf('nothing')).toEqual([]);
    expect(cardPartsOf('phones, contacts, key box and notes; the address stays')).toEqual(
      CARD_PARTS.filter((p) => p !== 'address'),
    );
  });

  it('leave anything else as it is (null: show the text)', () => {
    expect(cardPartsOf(null)).toBeNull();
    expect(cardPartsOf('address, a window')).toBeNull();
  });
});
