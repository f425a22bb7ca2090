import { textVersionLabel } from '../../../services/domain/shared/information-texts.ts';
import { currentLang, message } from './messages/index.ts';

/** "23.11.2026": a day as Danes write it (English: 23/11/2026). */
export function issuedDay(day: string): string {
  const [y, m, d] = day.split('-');
  return currentLang() === 'da' ? `${Number(d)}.${Number(m)}.${y}` : `${d}/${m}/${y}`;
}

/**
 * An information text version as people are shown it: its title and the day it was first shown,
 * never the version id ("Nødsituationer – Alarm til hjemmeplejen, 23.11.2026"). A version the
 * platform does not know is "en tekst, der ikke kendes".
 */
export function textVersionText(version: string): string {
  const label = textVersionLabel(version);
  if (!label) return message('common', 'textUnknown');
  return message('common', 'textVersion', {
    title: label.title[currentLang()],
    date: issuedDay(label.issued),
  });
}
