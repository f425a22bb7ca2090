import type { Translation } from './translation.ts';

/** Powers of attorney on the home view. */
export const da = {
  title: 'Pårørende med fuldmagt',
  intro:
    'Når du har set en gyldig fuldmagt, kan du registrere den her. Den pårørende kan derefter se og ændre samtykke for denne borger – og kun denne borger. Kun dokumentets reference gemmes.',
  none: 'Ingen pårørende har fuldmagt for denne borger.',
  username: 'Den pårørendes brugernavn',
  reference: 'Fuldmagtens reference (fx journalnummer)',
  record: 'Registrér fuldmagt',
  revoke: 'Tilbagekald',
  revoked: 'tilbagekaldt',
  since: 'registreret',
  saved: 'Fuldmagten er registreret.',
  revokedDone: 'Fuldmagten er tilbagekaldt.',
  unknown: 'Der findes ingen pårørende med det brugernavn.',
  exists: 'Den pårørende har allerede fuldmagt for denne borger.',
  failed: 'Det lykkedes ikke. Prøv igen.',
};

export const en: Translation<typeof da> = {
  title: 'Relatives with power of attorney',
  intro:
    'Once you have seen a valid power of attorney, record it here. The relative can then see and change consent for this citizen – and this citizen only. Only the document’s reference is kept.',
  none: 'No relative holds a power of attorney for this citizen.',
  username: "The relative's username",
  reference: 'Reference of the power of attorney (e.g. case number)',
  record: 'Record power of attorney',
  revoke: 'Revoke',
  revoked: 'revoked',
  since: 'recorded',
  saved: 'The power of attorney is recorded.',
  revokedDone: 'The power of attorney is revoked.',
  unknown: 'There is no relative with that username.',
  exists: 'The relative already holds a power of attorney for this citizen.',
  failed: 'That did not work. Please try again.',
};
