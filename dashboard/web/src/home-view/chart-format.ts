import { currentLang } from '../i18n.ts';

/** Times and days for the charts, in the home's time zone, on a 24-hour clock. */
const cache = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const locale = currentLang() === 'da' ? 'da-DK' : 'en-GB';
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone, ...options });
    cache.set(key, f);
  }
  return f;
}

/** "06:42" (Danish writes 06.42; a colon reads the same in both languages and in a table) */
export function clock(instant: number, timeZone: string): string {
  const parts = format(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(
    instant,
  );
  const hour = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return `${hour}:${minute}`;
}

/** "23.11" / "23/11" */
export function dayMonth(instant: number, timeZone: string): string {
  return format(timeZone, { day: 'numeric', month: 'numeric' }).format(instant);
}

/** "man. 23.11" on a row of the timeline */
export function shortDay(instant: number, timeZone: string): string {
  return format(timeZone, { weekday: 'short', day: 'numeric', month: 'numeric' }).format(instant);
}

/** "mandag 23.11" in the day-by-day table */
export function longDay(instant: number, timeZone: string): string {
  const text = format(timeZone, { weekday: 'long', day: 'numeric', month: 'numeric' }).format(instant);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "2 t 15 min" / "2 h 15 min" */
export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const hours = currentLang() === 'da' ? 't' : 'h';
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} ${hours}` : `${h} ${hours} ${m} min`;
}

/** A label's width in px at the charts' 13 px font: near enough to keep labels apart. */
export const labelWidth = (text: string): number => text.length * 7.5 + 4;
