import { useEffect, useRef, useState } from 'preact/hooks';
import type { Period } from './api.ts';
import { tx } from './strings.ts';

const CHOICES = ['24h', '7d', '30d', 'custom'] as const;
type Choice = (typeof CHOICES)[number];
/** The longest chosen period the server allows (it checks too). */
const MAX_DAYS = 90;

const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/**
 * The charts' period as a radio group: 24 hours, 7 days, 30 days, or two dates chosen. A change is
 * passed on at once for the fixed periods, and on "Vis" for chosen dates once they make sense.
 */
export function PeriodPicker({ onChange }: { onChange: (period: Period) => void }) {
  const [choice, setChoice] = useState<Choice>('24h');
  const [days] = useState(() => {
    const today = new Date();
    const weekAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6);
    return { today: isoDay(today), weekAgo: isoDay(weekAgo) };
  });
  const [problem, setProblem] = useState<'periodMissing' | 'periodOrder' | 'periodTooLong' | null>(null);
  const fromInput = useRef<HTMLInputElement>(null);
  const toInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (choice === 'custom') fromInput.current?.focus();
  }, [choice]);
  const choose = (next: Choice) => {
    setChoice(next);
    if (next !== 'custom') onChange({ range: next });
  };
  const applyCustom = () => {
    const from = fromInput.current?.value ?? '';
    const to = toInput.current?.value ?? '';
    const span = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    const found =
      !from || !to ? 'periodMissing' : from > to ? 'periodOrder' : span > MAX_DAYS ? 'periodTooLong' : null;
    setProblem(found);
    if (!found) onChange({ range: 'custom', from, to });
  };
  const invalid = problem ? { 'aria-invalid': 'true' as const, 'aria-describedby': 'period-error' } : {};
  return (
    <fieldset class="period-picker">
      <legend>{tx('range')}</legend>
      <div class="period-choices">
        {CHOICES.map((c) => (
          <label key={c} class="period-choice" for={`period-${c}`}>
            <input
              type="radio"
              name="period"
              value={c}
              id={`period-${c}`}
              checked={choice === c}
              onChange={() => choose(c)}
            />
            {` ${tx.of('period_', c)}`}
          </label>
        ))}
      </div>
      <div class="period-custom" hidden={choice !== 'custom'}>
        <div class="field">
          <label for="period-from">{tx('periodFrom')}</label>
          <input
            ref={fromInput}
            type="date"
            id="period-from"
            defaultValue={days.weekAgo}
            max={days.today}
            {...invalid}
          />
        </div>
        <div class="field">
          <label for="period-to">{tx('periodTo')}</label>
          <input
            ref={toInput}
            type="date"
            id="period-to"
            defaultValue={days.today}
            max={days.today}
            {...invalid}
          />
        </div>
        <button type="button" class="secondary" onClick={applyCustom}>
          {tx('periodShow')}
        </button>
        <p class="error" id="period-error" role="alert" hidden={problem === null}>
          {problem ? tx(problem, { days: MAX_DAYS }) : ''}
        </p>
      </div>
    </fieldset>
  );
}
