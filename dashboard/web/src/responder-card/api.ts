import { api } from '../api/client.ts';

/** The responder's card as the API shows it (dashboard/server/responder-card.ts ResponderCardView). */
export interface Contact {
  name: string;
  relation: string;
  phone: string;
  priority: number;
}

export interface CardView {
  homeId: string;
  homeLabel: string;
  scope: 'full' | 'address';
  mayEdit: boolean;
  mayRevealKeyBoxCode: boolean;
  card: null | {
    address: { lines: string[]; postcode: string; city: string };
    keyBoxLocation?: string | null;
    hasKeyBoxCode?: boolean;
    accessNotes?: string | null;
    citizenPhone?: string | null;
    contacts?: Contact[];
    updatedAt: number;
    updatedByRole: string;
    detailsErasedAt: number | null;
  };
}

export interface CardInput {
  address: { lines: string[]; postcode: string; city: string };
  entry: { keyBoxLocation: string | null; keyBoxCode?: string | null };
  accessNotes: string | null;
  citizenPhone: string | null;
  contacts: Contact[];
  /** the card the form was filled from; a change by someone else meanwhile is refused (409) */
  expectedUpdatedAt?: number | null;
}

// typed from the API document: the answers must fit the views above, or the web check fails
export const getCard = (homeId: string): Promise<CardView> =>
  api('get', '/api/homes/{homeId}/responder-card', { path: { homeId } });
export const saveCard = (homeId: string, card: CardInput): Promise<CardView> =>
  api('put', '/api/homes/{homeId}/responder-card', { path: { homeId }, body: card });
export const revealKeyBoxCode = (homeId: string): Promise<{ keyBoxCode: string | null }> =>
  api('post', '/api/homes/{homeId}/responder-card/key-box-code', { path: { homeId } });

/** `+4512345678` → `+45 12 34 56 78`; others as they are */
export function displayPhone(e164: string): string {
  const dk = /^\+45(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(e164);
  return dk ? `+45 ${dk.slice(1).join(' ')}` : e164;
}
