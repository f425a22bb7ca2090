import { currentLang, section } from './messages/index.ts';

export { currentLang, type Lang, setLang } from './messages/index.ts';

/** A word shared by every page (the catalog's `common` section, dashboard/web/src/messages). */
export const t = section('common');

export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(currentLang() === 'da' ? 'da-DK' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'medium',
    timeZone: 'Europe/Copenhagen',
  }).format(ms);
}
