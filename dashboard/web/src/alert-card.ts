import type { Alert, Outcome } from './api.ts';
import { NOTE_MAX, tb } from './board-strings.ts';
import { deliveryBlock, escalationText } from './delivery.ts';
import { el } from './dom.ts';
import { formatTime, t } from './i18n.ts';
import { rt } from './responder-card/strings.ts';
import { clockTime, testText } from './test-mode.ts';

export const OUTCOMES: readonly Outcome[] = [
  'real_incident',
  'false_alarm',
  'no_action_needed',
  'technical_fault',
];

/** What a person has typed into a resolve form but not saved yet; it survives a re-render. */
export interface ResolveDraft {
  outcome: string;
  note: string;
}

export interface CardActions {
  acknowledge(id: string): void;
  /** "På vej" */
  setOut(id: string): void;
  /** "Fremme" */
  arrive(id: string): void;
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
  return `${t('basis')}: ${t.of('basis_', b.basis)}${ref}`;
}

export const alertTitle = (a: Alert) => `${t.of('rule_', a.rule)} – ${a.homeLabel}`;

/**
 * Everything a card shows; when it is unchanged the card's element is kept as it is, so a live
 * update elsewhere on the board never touches the card someone is working in.
 */
export function cardSignature(a: Alert, resolving: boolean, showTeam = false): string {
  return [
    showTeam ? (a.team?.name ?? '') : '',
    a.acknowledgedByName ?? '',
    a.acknowledgedAt ?? '',
    a.enRouteAt ?? '',
    a.enRouteByName ?? '',
    a.arrivedAt ?? '',
    a.arrivedByName ?? '',
    arrivalOverdue(a),
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
export function alertCard(
  a: Alert,
  resolving: boolean,
  actions: CardActions,
  showTeam = false,
): HTMLLIElement {
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
    overdueLine(a),
    el(
      'p',
      { className: 'meta' },
      a.test ? el('span', { className: 'badge test', 'data-test-mark': '' }, 'Test') : '',
      a.test ? ' ' : '',
      el('span', { className: `badge ${a.severity}` }, t.of('severity_', a.severity)),
      ` ${t.of('state_', a.state)} · ${t('opened')} ${formatTime(a.openedAt)}`,
      a.repeats > 0 ? ` · ${t('repeats')} ${a.repeats} ${t(a.repeats === 1 ? 'time' : 'times')}` : '',
    ),
    showTeam && a.team ? el('p', { className: 'meta team' }, `${tb('team')}: ${a.team.name}`) : '',
    onItLine(a),
    chainLine(a),
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
  // the responder's two taps, on a phone at the door: set out, arrived (the server stamps who and
  // when). After "Afslut", so focus after an acknowledgement still lands on resolving (keyboard use).
  if (a.state !== 'resolved' && a.enRouteAt === null && a.arrivedAt === null)
    buttons.append(
      el(
        'button',
        {
          type: 'button',
          className: 'step en-route',
          'data-focus-key': `out-${a.id}`,
          'aria-describedby': titleId,
          onclick: () => actions.setOut(a.id),
        },
        tb('enRoute'),
      ),
    );
  if (a.state !== 'resolved' && a.arrivedAt === null)
    buttons.append(
      el(
        'button',
        {
          type: 'button',
          className: 'step arrived',
          'data-focus-key': `arr-${a.id}`,
          'aria-describedby': titleId,
          onclick: () => actions.arrive(a.id),
        },
        tb('arrived'),
      ),
    );
  // one tap to the home's responder's card: the address, the key box, the numbers to call
  if (a.audience !== 'technical')
    buttons.append(
      el(
        'a',
        {
          className: 'button-link card-link',
          href: `#/homes/${encodeURIComponent(a.homeId)}/card`,
          'data-focus-key': `card-${a.id}`,
          'aria-describedby': titleId,
        },
        rt('openCard'),
      ),
    );
  item.append(buttons);
  if (resolving) item.append(resolveForm(a, actions));
  return item;
}

/** who said "I'm on it": the card goes only to the alert's own team, so this is their colleague */
function onItLine(a: Alert): HTMLElement | '' {
  if (a.state !== 'acknowledged' || a.acknowledgedAt === null) return '';
  const when = formatTime(a.acknowledgedAt);
  return el(
    'p',
    { className: 'meta on-it' },
    a.acknowledgedByName ? tb('onIt', { name: a.acknowledgedByName, when }) : tb('onItUnknown', { when }),
  );
}

/**
 * Nobody "fremme" and the arrival target (ARRIVAL_TARGET_MIN) has passed: by the server's due time,
 * against this screen's clock. Said in words, with a sign, not by colour alone.
 */
export function arrivalOverdue(a: Alert, now = Date.now()): boolean {
  return a.arrivalDueAt !== null && a.arrivedAt === null && a.state !== 'resolved' && now >= a.arrivalDueAt;
}

function overdueLine(a: Alert): HTMLElement | '' {
  if (!arrivalOverdue(a) || a.arrivalDueAt === null) return '';
  const minutes = Math.round((a.arrivalDueAt - a.openedAt) / 60_000);
  return el(
    'p',
    { className: 'overdue', 'data-overdue-mark': '' },
    el('span', { 'aria-hidden': 'true' }, '⚠ '),
    tb('arrivalOverdue', { minutes: String(minutes) }),
  );
}

/** where the responder is: on the way, or there */
function chainLine(a: Alert): HTMLElement | '' {
  if (a.arrivedAt !== null) {
    const when = formatTime(a.arrivedAt);
    return el(
      'p',
      { className: 'meta chain arrived' },
      a.arrivedByName
        ? tb('arrivedLine', { name: a.arrivedByName, when })
        : tb('arrivedLineUnknown', { when }),
    );
  }
  if (a.enRouteAt !== null) {
    const when = formatTime(a.enRouteAt);
    return el(
      'p',
      { className: 'meta chain en-route' },
      a.enRouteByName
        ? tb('enRouteLine', { name: a.enRouteByName, when })
        : tb('enRouteLineUnknown', { when }),
    );
  }
  return '';
}

/** "1.988 tegn tilbage (højst 2.000)", or how many too many: said before the server refuses */
function noteRoom(length: number): string {
  const left = NOTE_MAX - length;
  const max = NOTE_MAX.toLocaleString('da-DK');
  return left >= 0
    ? tb('noteLeft', { n: left.toLocaleString('da-DK'), max })
    : tb('noteOver', { n: (-left).toLocaleString('da-DK'), max });
}

function resolveForm(a: Alert, actions: CardActions): HTMLFormElement {
  const draft = actions.draft(a.id);
  const select = el('select', {
    id: `outcome-${a.id}`,
    name: 'outcome',
    required: true,
    'data-focus-key': `outcome-${a.id}`,
  });
  // a first, empty choice: nothing is preselected, the worker chooses (issue 11)
  select.append(el('option', { value: '' }, tb('chooseOutcome')));
  for (const o of OUTCOMES) select.append(el('option', { value: o }, t.of('outcome_', o)));
  select.value = draft.outcome;
  const outcomeError = el('p', {
    id: `outcome-error-${a.id}`,
    className: 'error',
    role: 'alert',
    hidden: true,
  });
  const room = el('p', { id: `note-room-${a.id}`, className: 'note-room' }, noteRoom(draft.note.length));
  // no maxLength: the browser would cut a pasted note silently; the counter says it, the save refuses
  const note = el('textarea', {
    id: `note-${a.id}`,
    name: 'note',
    rows: 2,
    'aria-describedby': room.id,
    'data-focus-key': `note-${a.id}`,
  });
  note.value = draft.note;
  const showRoom = () => {
    room.textContent = noteRoom(note.value.length);
    room.classList.toggle('over', note.value.length > NOTE_MAX);
    if (note.value.length > NOTE_MAX) note.setAttribute('aria-invalid', 'true');
    else note.removeAttribute('aria-invalid');
  };
  showRoom();
  // the draft lives outside the element, so a card rebuilt by a live update keeps what was typed
  select.onchange = () => {
    draft.outcome = select.value;
    if (select.value) {
      outcomeError.hidden = true;
      select.removeAttribute('aria-invalid');
    }
  };
  note.oninput = () => {
    draft.note = note.value;
    showRoom();
  };
  const form = el(
    'form',
    {
      className: 'resolve-form',
      id: `resolve-${a.id}`,
      'aria-label': `${t('resolve')}: ${alertTitle(a)}`,
      // our own messages, in the page's language, instead of the browser's bubble
      noValidate: true,
    },
    el('label', { htmlFor: select.id }, t('outcome')),
    select,
    outcomeError,
    el('label', { htmlFor: note.id }, t('note')),
    note,
    room,
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
    if (!select.value) {
      outcomeError.textContent = tb('outcomeMissing');
      outcomeError.hidden = false;
      select.setAttribute('aria-invalid', 'true');
      select.setAttribute('aria-describedby', outcomeError.id);
      select.focus();
      return;
    }
    if (note.value.length > NOTE_MAX) {
      room.textContent = `${tb('noteTooLong', { max: NOTE_MAX.toLocaleString('da-DK') })} ${noteRoom(note.value.length)}`;
      note.focus();
      return;
    }
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
