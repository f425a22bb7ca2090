import type { Alert } from './api.ts';
import { deliveryBlock, escalationText } from './delivery.ts';
import { el } from './dom.ts';
import { formatTime, t } from './i18n.ts';
import { clockTime, testText } from './test-mode.ts';

export const OUTCOMES = ['real_incident', 'false_alarm', 'no_action_needed', 'technical_fault'];

/** What a person has typed into a resolve form but not saved yet; it survives a re-render. */
export interface ResolveDraft {
  outcome: string;
  note: string;
}

export interface CardActions {
  acknowledge(id: string): void;
  toggleResolve(id: string): void;
  submitResolve(id: string, draft: ResolveDraft): void;
  draft(id: string): ResolveDraft;
}

export { el };

/** What made the alert, in the reader's language, from the evidence's structured fields. */
function evidenceText(a: Alert): string {
  const th = a.evidence.thresholds;
  if (th && typeof th.since === 'number') {
    return `${t('noMotionSince')} ${formatTime(th.since)} (${t('limit')} ${th.minutes} min, ${t('window')} ${th.window})`;
  }
  const r = a.evidence.readings?.[0];
  if (r) return `${t('sensor')} ${r.deviceId} · ${formatTime(r.ts)}`;
  return a.evidence.summary;
}

/** Under which legal basis the alert was raised, said plainly (care alerts only). */
function basisText(a: Alert): string {
  const b = a.legalBasis;
  if (!b) return `${t('basis')}: ${t('basisNone')}`;
  const ref = b.reference ? ` (${b.reference})` : '';
  return `${t('basis')}: ${t(`basis_${b.basis}`)}${ref}`;
}

export const alertTitle = (a: Alert) => `${t(`rule_${a.rule}`)} – ${a.homeLabel}`;

/**
 * Everything a card shows; when it is unchanged the card's element is kept as it is, so a live
 * update elsewhere on the board never touches the card someone is working in.
 */
export function cardSignature(a: Alert, resolving: boolean): string {
  return [
    a.state,
    a.severity,
    a.repeats,
    a.lastSeenAt,
    a.acknowledgedBy,
    a.escalationLevel,
    a.homeLabel,
    a.note ?? '',
    resolving,
    JSON.stringify(a.delivery),
  ].join('|');
}

/**
 * One alert: what, where, how serious (in words as well as colour), and the next step. Every
 * control carries a `data-focus-key` so the board can give focus back after it re-renders.
 */
export function alertCard(a: Alert, resolving: boolean, actions: CardActions): HTMLLIElement {
  const titleId = `title-${a.id}`;
  // escalated and still not taken on: every team member's board shows it prominently
  const escalated = a.state === 'open' && a.escalationLevel > 0;
  const item = el(
    'li',
    {
      className: `alert ${a.severity} ${a.state}${escalated ? ' escalated' : ''}`,
      'data-alert-id': a.id,
      'aria-labelledby': titleId,
    },
    el('h3', { id: titleId }, alertTitle(a)),
    escalated ? el('p', { className: 'escalation' }, escalationText(a)) : '',
    el(
      'p',
      { className: 'meta' },
      a.test ? el('span', { className: 'badge test', 'data-test-mark': '' }, 'Test') : '',
      a.test ? ' ' : '',
      el('span', { className: `badge ${a.severity}` }, t(`severity_${a.severity}`)),
      ` ${t(`state_${a.state}`)} · ${t('opened')} ${formatTime(a.openedAt)}`,
      a.repeats > 0 ? ` · ${t('repeats')} ${a.repeats} ${t(a.repeats === 1 ? 'time' : 'times')}` : '',
    ),
    el('p', { className: 'meta' }, evidenceText(a)),
    a.evidence.testMode
      ? el(
          'p',
          { className: 'meta during-test' },
          testText('card', { time: clockTime(a.evidence.testMode.until) }),
        )
      : '',
    a.audience === 'technical' ? '' : el('p', { className: 'meta basis' }, basisText(a)),
    a.note ? el('p', { className: 'meta note' }, `${t('noteLabel')}: ${a.note}`) : '',
    deliveryBlock(a) ?? '',
  );
  const buttons = el('div', { className: 'actions' });
  if (a.state === 'open') {
    buttons.append(
      el(
        'button',
        {
          type: 'button',
          'data-focus-key': `ack-${a.id}`,
          'aria-describedby': titleId,
          onclick: () => actions.acknowledge(a.id),
        },
        t('acknowledge'),
      ),
    );
  }
  buttons.append(
    el(
      'button',
      {
        type: 'button',
        className: 'secondary',
        'data-focus-key': `res-${a.id}`,
        'aria-describedby': titleId,
        'aria-expanded': String(resolving),
        'aria-controls': `resolve-${a.id}`,
        onclick: () => actions.toggleResolve(a.id),
      },
      t('resolve'),
    ),
  );
  item.append(buttons);
  if (resolving) item.append(resolveForm(a, actions));
  return item;
}

function resolveForm(a: Alert, actions: CardActions): HTMLFormElement {
  const draft = actions.draft(a.id);
  const select = el('select', {
    id: `outcome-${a.id}`,
    name: 'outcome',
    required: true,
    'data-focus-key': `outcome-${a.id}`,
  });
  for (const o of OUTCOMES) select.append(el('option', { value: o }, t(`outcome_${o}`)));
  select.value = draft.outcome;
  const note = el('textarea', {
    id: `note-${a.id}`,
    name: 'note',
    rows: 2,
    maxLength: 2000,
    'data-focus-key': `note-${a.id}`,
  });
  note.value = draft.note;
  // the draft lives outside the element, so a card rebuilt by a live update keeps what was typed
  select.onchange = () => {
    draft.outcome = select.value;
  };
  note.oninput = () => {
    draft.note = note.value;
  };
  const form = el(
    'form',
    { className: 'resolve-form', id: `resolve-${a.id}`, 'aria-label': `${t('resolve')}: ${alertTitle(a)}` },
    el('label', { htmlFor: select.id }, t('outcome')),
    select,
    el('label', { htmlFor: note.id }, t('note')),
    note,
    el(
      'div',
      { className: 'actions' },
      el('button', { type: 'submit', 'data-focus-key': `save-${a.id}` }, t('save')),
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          'data-focus-key': `cancel-${a.id}`,
          onclick: () => actions.toggleResolve(a.id),
        },
        t('cancel'),
      ),
    ),
  );
  form.onsubmit = (e) => {
    e.preventDefault();
    actions.submitResolve(a.id, { outcome: select.value, note: note.value });
  };
  form.onkeydown = (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      actions.toggleResolve(a.id);
    }
  };
  return form;
}
