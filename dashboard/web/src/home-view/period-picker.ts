import type { Period } from './api.ts';
import { el } from './dom.ts';
import { tx } from './strings.ts';

const CHOICES = ['24h', '7d', '30d', 'custom'] as const;
/** The longest chosen period the server allows (it checks too). */
const MAX_DAYS = 90;

const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/**
 * The charts' period as a radio group: 24 hours, 7 days, 30 days, or two dates chosen. A change is
 * passed on at once for the fixed periods, and on "Vis" for chosen dates once they make sense.
 */
export class PeriodPicker {
  value: Period = { range: '24h' };
  readonly element: HTMLFieldSetElement;
  private readonly fromInput: HTMLInputElement;
  private readonly toInput: HTMLInputElement;
  private readonly custom: HTMLElement;
  private readonly error = el('p', { className: 'error', id: 'period-error', role: 'alert' });

  constructor(private readonly onChange: (period: Period) => void) {
    const today = new Date();
    const weekAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6);
    this.fromInput = el('input', {
      type: 'date',
      id: 'period-from',
      value: isoDay(weekAgo),
      max: isoDay(today),
    });
    this.toInput = el('input', { type: 'date', id: 'period-to', value: isoDay(today), max: isoDay(today) });
    this.custom = el(
      'div',
      { className: 'period-custom', hidden: true },
      el(
        'div',
        { className: 'field' },
        el('label', { htmlFor: 'period-from' }, tx('periodFrom')),
        this.fromInput,
      ),
      el('div', { className: 'field' }, el('label', { htmlFor: 'period-to' }, tx('periodTo')), this.toInput),
      el(
        'button',
        { type: 'button', className: 'secondary', onclick: () => this.applyCustom() },
        tx('periodShow'),
      ),
      this.error,
    );
    this.error.hidden = true;
    const radios = CHOICES.map((choice) => {
      const input = el('input', {
        type: 'radio',
        name: 'period',
        value: choice,
        id: `period-${choice}`,
        checked: choice === '24h',
        onchange: () => this.choose(choice),
      });
      return el(
        'label',
        { className: 'period-choice', htmlFor: `period-${choice}` },
        input,
        ` ${tx.of('period_', choice)}`,
      );
    });
    this.element = el(
      'fieldset',
      { className: 'period-picker' },
      el('legend', {}, tx('range')),
      el('div', { className: 'period-choices' }, ...radios),
      this.custom,
    );
  }

  private choose(choice: (typeof CHOICES)[number]): void {
    this.custom.hidden = choice !== 'custom';
    if (choice === 'custom') {
      this.fromInput.focus();
      return;
    }
    this.value = { range: choice };
    this.onChange(this.value);
  }

  private applyCustom(): void {
    const from = this.fromInput.value;
    const to = this.toInput.value;
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    const problem =
      !from || !to ? 'periodMissing' : from > to ? 'periodOrder' : days > MAX_DAYS ? 'periodTooLong' : null;
    this.error.hidden = problem === null;
    this.error.textContent = problem ? tx(problem, { days: MAX_DAYS }) : '';
    for (const input of [this.fromInput, this.toInput]) {
      if (problem) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', 'period-error');
      } else {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-describedby');
      }
    }
    if (problem) return;
    this.value = { range: 'custom', from, to };
    this.onChange(this.value);
  }
}
