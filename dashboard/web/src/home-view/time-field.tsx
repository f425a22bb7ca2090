import { useEffect, useRef } from 'preact/hooks';
import { section } from '../messages/index.ts';

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
 * the value is not a time. The value is tidied to `HH:MM` when the field is left. Not controlled:
 * the form reads it when it is saved.
 */
export function TimeField({
  id,
  label,
  value,
  focus = false,
}: {
  id: string;
  label: string;
  value: string;
  /** takes focus when it appears (a period just added) */
  focus?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (focus) input.current?.focus();
  }, []);
  const hintId = `${id}-hint`;
  const check = (e: Event) => {
    const field = e.currentTarget as HTMLInputElement;
    const tidy = normaliseTime(field.value);
    if (tidy) field.value = tidy;
    field.setCustomValidity(tidy || field.value === '' ? '' : tt('timeInvalid'));
  };
  return (
    <>
      <label for={id}>{label}</label>
      <input
        ref={input}
        id={id}
        type="text"
        inputMode="numeric"
        autocomplete="off"
        required
        defaultValue={value}
        size={5}
        maxLength={5}
        pattern="([01][0-9]|2[0-3]):[0-5][0-9]"
        class="time-field"
        aria-describedby={hintId}
        onBlur={check}
        onChange={check}
        onInput={(e) => e.currentTarget.setCustomValidity('')}
      />
      <span id={hintId} class="hint muted">
        {tt('timeHint')}
      </span>
    </>
  );
}
