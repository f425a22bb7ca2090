import type { HomeId, ResponderCard } from '../domain/index.ts';
import type { Store } from '../store/index.ts';

/**
 * Responder's cards, one per home: the one owner of the `responder_cards` table. Personal data: it
 * leaves through the dashboard's API only.
 */
export class ResponderCards {
  private readonly cards;

  constructor(store: Pick<Store, 'responderCards'>) {
    this.cards = store.responderCards;
  }

  get(homeId: HomeId): Promise<ResponderCard | null> {
    return this.cards.get(homeId);
  }

  /**
   * creates or replaces the home's card; with `expectedUpdatedAt` (null: no card yet) only if the
   * stored card is still that one, else null and nothing is written
   */
  save(card: ResponderCard, expectedUpdatedAt?: number | null): Promise<ResponderCard | null> {
    return this.cards.save(card, expectedUpdatedAt);
  }

  /** removes phone numbers, contacts, key box and notes, keeps the address; false when there is no card */
  eraseDetails(homeId: HomeId, at: number): Promise<boolean> {
    return this.cards.eraseDetails(homeId, at);
  }
}
