import type { ConsentCategory } from '../../../../services/domain/shared/sensor-kinds.ts';
import { textVersionText } from '../text-version.ts';
import type { CategoryView, Overview } from './api.ts';
import { confirmInline, el, section } from './dom.ts';
import { ct, local, sinceText } from './strings.ts';

export interface ConsentChange {
  category: ConsentCategory;
  purpose: 'alerts' | 'history' | 'night_round';
  action: 'grant' | 'withdraw';
  textVersion: string;
}

/**
 * What is measured and why, per category: its sensors in this home, and for each purpose a switch
 * with the information text beside it. Flipping a switch is the whole action: saying no is as
 * easy as saying yes (GDPR art. 7(3)).
 */
export function consentSection(
  o: Overview,
  onChange: (changes: ConsentChange[], what: string) => Promise<void>,
): HTMLElement {
  const cards = o.categories.map((c) => categoryCard(c, onChange));
  const technical = el(
    'section',
    { className: 'category', 'aria-labelledby': 'cat-technical-title' },
    el('h3', { id: 'cat-technical-title' }, local(o.technical.text.title)),
    el('p', {}, local(o.technical.text.body)),
    sensorLine(o.technical.sensors.map((s) => local(s.name))),
  );
  const granted = o.categories.flatMap((c) =>
    c.purposes
      .filter((p) => p.granted)
      .map((p) => ({
        category: c.category,
        purpose: p.purpose,
        action: 'withdraw' as const,
        textVersion: p.text.version,
      })),
  );
  const withdrawHost = el('div', { className: 'actions' });
  const withdrawButton = el(
    'button',
    { type: 'button', className: 'danger', id: 'withdraw-all', disabled: granted.length === 0 },
    ct('withdrawAll'),
  );
  withdrawButton.onclick = () =>
    confirmInline(withdrawHost, ct('withdrawAllConfirm'), ct('withdrawAllYes'), ct('cancel'), () => {
      void onChange(granted, '');
    });
  withdrawHost.append(withdrawButton);
  return section(
    'measured',
    ct('measured'),
    o.retentionDays ? el('p', {}, ct('retention', { days: o.retentionDays })) : null,
    ...cards,
    technical,
    el(
      'section',
      { className: 'category withdraw-all', 'aria-labelledby': 'withdraw-all-title' },
      el('h3', { id: 'withdraw-all-title' }, ct('withdrawAllTitle')),
      el('p', {}, ct('withdrawAllIntro')),
      withdrawHost,
    ),
  );
}

function sensorLine(names: string[]): HTMLElement {
  if (names.length === 0) return el('p', { className: 'muted' }, ct('noSensors'));
  return el('p', {}, el('strong', {}, ct('sensorsHere')), ` ${[...new Set(names)].join(', ')}`);
}

function categoryCard(
  c: CategoryView,
  onChange: (changes: ConsentChange[], what: string) => Promise<void>,
): HTMLElement {
  const titleId = `cat-${c.category}-title`;
  const rows = c.purposes.map((p) => {
    const id = `consent-${c.category}-${p.purpose}`;
    const what = `${local(p.text.title).toLowerCase()} (${local(c.text.title).toLowerCase()})`;
    const input = el('input', {
      type: 'checkbox',
      id,
      role: 'switch',
      checked: p.granted,
      'aria-describedby': `${id}-text`,
    });
    const state = el(
      'span',
      { className: 'switch-state', 'aria-hidden': 'true' },
      p.granted ? ct('yes') : ct('no'),
    );
    input.onchange = () => {
      input.disabled = true;
      void onChange(
        [
          {
            category: c.category,
            purpose: p.purpose,
            action: input.checked ? 'grant' : 'withdraw',
            textVersion: p.text.version,
          },
        ],
        what,
      );
    };
    // Alerts: what stops if it is switched off, said beside the switch before anyone flips it, and
    // once off, that it is off and since when (issue 7 item 12). The information text describes
    // what happens when it is on, so while it is off it is introduced as such.
    const alerts = p.purpose === 'alerts';
    const when = ct.of('alertsWhen_', c.category);
    const effect = !alerts
      ? null
      : el(
          'p',
          { id: `${id}-effect`, className: `consent-effect ${p.granted ? 'on' : 'off'}` },
          p.granted
            ? ct('alertsOffBefore', { when })
            : p.since
              ? ct('alertsIsOffSince', { since: sinceText(p.since), when })
              : ct('alertsIsOff', { when }),
        );
    if (effect) input.setAttribute('aria-describedby', `${id}-effect ${id}-text`);
    return el(
      'div',
      { className: `consent-row ${p.granted ? 'on' : 'off'}` },
      el(
        'label',
        { htmlFor: id, className: 'switch' },
        input,
        // the same purpose title stands in every category: the hidden part tells them apart when heard
        el(
          'span',
          {},
          local(p.text.title),
          el('span', { className: 'visually-hidden' }, ` – ${local(c.text.title)}`),
        ),
        state,
      ),
      effect,
      el(
        'p',
        { id: `${id}-text`, className: 'info-text' },
        alerts && !p.granted ? `${ct('ifSwitchedOn')} ` : '',
        local(p.text.body),
        el(
          'span',
          { className: 'muted small' },
          ` ${ct('textVersion')}: ${textVersionText(p.text.version)}.`,
          p.granted && p.basis ? ` ${ct('givenBy')}: ${ct.of('basis_', p.basis)}.` : '',
        ),
      ),
    );
  });
  return el(
    'section',
    { className: 'category', 'aria-labelledby': titleId },
    el('h3', { id: titleId }, local(c.text.title)),
    el('p', {}, local(c.text.body)),
    sensorLine(c.sensors.map((s) => local(s.name))),
    ...rows,
  );
}
