import { call } from '../api.ts';

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

const path = (homeId: string) => `/api/homes/${encodeURIComponent(homeId)}/responder-card`;

export const getCard = (homeId: string) => call<CardView>('GET', path(homeId));
export const saveCard = (homeId: string, card: CardInput) => call<CardView>('PUT', path(homeId), card);
export const revealKeyBoxCode = (homeId: string) =>
  call<{ keyBoxCode: string | null }>('POST', `${path(homeId)}/key-box-code`, {});

/** `+4512345678` → `+45 12 34 56 78`; others as they are */
export function displayPhone(e164: string): string {
  const dk = /^\+45(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(e164);
  return dk ? `+45 ${dk.slice(1).join(' ')}` : e164;
}
