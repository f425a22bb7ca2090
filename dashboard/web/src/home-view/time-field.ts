import { section } from '../messages/index.ts';
import { el } from './dom.ts';

const tt = section('routine');

/**
 * "7", "730", "7.30", "07:30" → "07:30"; null for anything that is not a time of day. Danes write
 * the clock with a full stop as often as with a colon.
 */
export function normaliseTime(text: string): string | null {
  const t = text.trim();
  const m = /^(\d{1,2})(?:[:.]?(\d{2}))?$/.exec(t);
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2] ?? '0');
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/**
 * A time of day, always on the 24-hour clock. Chromium's `<input type=time>` follows the browser's
 * locale, not the page's `lang`, so on an en-US browser it shows AM/PM; this is a plain text field
 * (keyboard and screen readers treat it as one) with a hint, a pattern, and a Danish message when
 * the value is not a time. The value is tidied to `HH:MM` when the field is left.
 */
export function timeField(id: string, value: string): { input: HTMLInputElement; hint: HTMLElement } {
  const hintId = `${id}-hint`;
  const input = el('input', {
    id,
    type: 'text',
    inputMode: 'numeric',
    autocomplete: 'off',
    required: true,
    value,
    size: 5,
    maxLength: 5,
    pattern: '([01][0-9]|2[0-3]):[0-5][0-9]',
    className: 'time-field',
    'aria-describedby': hintId,
  });
  const check = () => {
    const tidy = normaliseTime(input.value);
    if (tidy) input.value = tidy;
    input.setCustomValidity(tidy || input.value === '' ? '' : tt('timeInvalid'));
  };
  input.addEventListener('blur', check);
  input.addEventListener('change', check);
  input.addEventListener('input', () => input.setCustomValidity(''));
  const hint = el('span', { id: hintId, className: 'hint muted' }, tt('timeHint'));
  return { input, hint };
}
