import { cardPartsOf } from '../../../../services/domain/shared/card-parts.ts';
import { currentLang, hasMessage, type MessageKey, section } from '../messages/index.ts';

export type CitizenKey = MessageKey<'citizen'>;

/** A citizen-page string (the catalog's `citizen` section); `{name}` placeholders filled from `vars`. */
export const ct = section('citizen');

/** "28.11. kl. 10.12": a day and a time in Copenhagen */
export function sinceText(ms: number): string {
  const locale = currentLang() === 'da' ? 'da-DK' : 'en-GB';
  const zone = { timeZone: 'Europe/Copenhagen' };
  const date = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'numeric', ...zone }).format(ms);
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', ...zone }).format(ms);
  return ct('sinceWhen', { date, time });
}

/**
 * an action in the access log; one with no words yet reads "ukendt (code)". A change to the
 * responder's card names the parts changed ("ændrede beredskabskortet (adresse, kontakter)").
 */
export function didWhat(action: string, detail: string | null = null): string {
  const key = `did_${action.replaceAll('.', '_')}`;
  const did = hasMessage('citizen', key) ? ct(key) : ct('didUnknown', { action });
  if (action !== 'responder_card.update') return did;
  const parts = cardPartsOf(detail);
  if (!parts || parts.length === 0) return did;
  const words = section('export');
  return `${did} (${parts.map((p) => words.of('card_', p)).join(', ')})`;
}

/** a text from the server in the current language */
export function local(text: { da: string; en: string }): string {
  return text[currentLang()];
}
