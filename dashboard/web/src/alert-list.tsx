import { Component, render } from 'preact';
import { useState } from 'preact/hooks';
import { alertTitle, arrivalOverdue, type CardActions, cardSignature, OUTCOMES } from './alert-card.ts';
import type { Alert, DeliveryChannel } from './api.ts';
import { NOTE_MAX, tb } from './board-strings.ts';
import { deliveryLine, escalationText, lateNotices, onlyLog, undeliveredLine } from './delivery.ts';
import { formatTime, t } from './i18n.ts';
import { rt } from './responder-card/strings.ts';
import { clockTime, testText } from './test-mode.ts';

interface CardProps {
  alert: Alert;
  resolving: boolean;
  actions: CardActions;
  showTeam: boolean;
}

/**
 * The open alerts as a keyed list of Preact components (key: the alert id). A card is rendered
 * again only when what it shows changes (`cardSignature`), so a live update elsewhere on the board
 * never touches the card someone is working in; the board gives focus back after each render.
 */
export function renderAlertList(
  list: HTMLElement,
  alerts: readonly Alert[],
  resolving: string | null,
  actions: CardActions,
  showTeam: boolean,
): void {
  render(
    alerts.map((a) => (
      <AlertCard key={a.id} alert={a} resolving={resolving === a.id} actions={actions} showTeam={showTeam} />
    )),
    list,
  );
}

class AlertCard extends Component<CardProps> {
  /**
   * the signature of what was last rendered, kept rather than recomputed from the old props: part
   * of it depends on the time (the arrival target passing), so the same alert can need a new render
   */
  private shown = '';

  override shouldComponentUpdate(next: CardProps): boolean {
    return signature(next) !== this.shown;
  }

  override render() {
    this.shown = signature(this.props);
    return <CardView {...this.props} />;
  }
}

const signature = ({ alert, resolving, showTeam, actions }: CardProps) =>
  `${cardSignature(alert, resolving, showTeam)}|${actions.failure(alert.id) ?? ''}`;

/**
 * What made the alert, in the reader's language, from the evidence's structured fields. The
 * server's `summary` is English, for logs and API users: it is never shown.
 */
function evidenceText(a: Alert): string {
  const th = a.evidence.thresholds;
  if (th && typeof th.since === 'number') {
    return `${t('noMotionSince')} ${formatTime(th.since)} (${t('limit')} ${th.minutes} min, ${t('window')} ${th.window})`;
  }
  if (a.rule === 'device_offline' && th) {
    if (typeof th.devices === 'number')
      return t('offlineMany', { n: th.devices, devices: String(th.deviceIds) });
    const heard = typeof th.lastHeard === 'string' ? Date.parse(th.lastHeard) : Number.NaN;
    const limit = Math.round(Number(th.offlineAfterS) / 60);
    return Number.isNaN(heard)
      ? t('offlineNever', { device: String(th.deviceId), minutes: limit })
      : t('offlineSince', { device: String(th.deviceId), when: formatTime(heard), minutes: limit });
  }
  const r = a.evidence.readings?.[0];
  if (r) return `${t('sensor')} ${r.deviceId} · ${formatTime(r.ts)}`;
  return `${t('opened')} ${formatTime(a.openedAt)}`;
}

/** Under which legal basis the alert was raised, said plainly (care alerts only). */
function basisText(a: Alert): string {
  const b = a.legalBasis;
  if (!b) return `${t('basis')}: ${t('basisNone')}`;
  const ref = b.reference ? ` (${b.reference})` : '';
  return `${t('basis')}: ${t.of('basis_', b.basis)}${ref}`;
}

const deliveredClass = (c: DeliveryChannel) =>
  c.delivered && c.notifier !== 'log' ? 'delivered' : 'not-delivered';

/** What was done to reach people outside the board, on the card itself; nothing when nothing was. */
function Delivery({ alert: a }: { alert: Alert }) {
  const warn = a.state === 'open' && a.escalationLevel >= 2 && onlyLog(a);
  const late = lateNotices(a);
  if (a.delivery.channels.length === 0 && !warn && late.length === 0) return null;
  return (
    <div class="delivery">
      {warn && <p class="no-fallback">{t('noFallback')}</p>}
      {/* "Besked ikke leveret": in words, with a sign, not by colour alone */}
      {late.map((n) => (
        <p key={`${n.notifier}|${n.target}|${n.since}`} class="undelivered" data-undelivered-mark="">
          <span aria-hidden="true">⚠ </span>
          {undeliveredLine(n)}
        </p>
      ))}
      {a.delivery.channels.length > 0 && (
        <ul class="delivery-lines" aria-label={t('deliveryTitle')}>
          {a.delivery.channels.map((c) => (
            <li key={`${c.notifier}|${c.target}|${c.level}`} class={deliveredClass(c)}>
              {deliveryLine(c)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * One alert: what, where, how serious (in words as well as colour), and the next step. Every
 * control carries a `data-focus-key` so the board can give focus back after it re-renders.
 */
function CardView({ alert: a, resolving, actions, showTeam }: CardProps) {
  const titleId = `title-${a.id}`;
  // escalated and still not taken on: every team member's board shows it prominently
  const escalated = a.state === 'open' && a.escalationLevel > 0;
  const onIt = a.state === 'acknowledged' && a.acknowledgedAt !== null ? formatTime(a.acknowledgedAt) : null;
  return (
    <li
      class={`alert ${a.severity} ${a.state}${escalated ? ' escalated' : ''}`}
      data-alert-id={a.id}
      aria-labelledby={titleId}
    >
      <h3 id={titleId}>{alertTitle(a)}</h3>
      {escalated && <p class="escalation">{escalationText(a)}</p>}
      <OverdueLine alert={a} />
      <p class="meta">
        {a.test && (
          <span class="badge test" data-test-mark="">
            {t('testMark')}
          </span>
        )}
        {a.test ? ' ' : ''}
        <span class={`badge ${a.severity}`}>{t.of('severity_', a.severity)}</span>
        {` ${t.of('state_', a.state)} · ${t('opened')} ${formatTime(a.openedAt)}`}
        {a.repeats > 0 ? ` · ${t('repeats')} ${a.repeats} ${t(a.repeats === 1 ? 'time' : 'times')}` : ''}
      </p>
      {showTeam && a.team && <p class="meta team">{`${tb('team')}: ${a.team.name}`}</p>}
      {onIt !== null && (
        <p class="meta on-it">
          {a.acknowledgedByName
            ? tb('onIt', { name: a.acknowledgedByName, when: onIt })
            : tb('onItUnknown', { when: onIt })}
        </p>
      )}
      <ChainLine alert={a} />
      <p class="meta">{evidenceText(a)}</p>
      {a.evidence.testMode && (
        <p class="meta during-test">{testText('card', { time: clockTime(a.evidence.testMode.until) })}</p>
      )}
      {a.audience !== 'technical' && <p class="meta basis">{basisText(a)}</p>}
      {a.note && <p class="meta note">{`${t('noteLabel')}: ${a.note}`}</p>}
      <Delivery alert={a} />
      <div class="actions">
        {a.state === 'open' && (
          <button
            type="button"
            data-focus-key={`ack-${a.id}`}
            aria-describedby={titleId}
            onClick={() => actions.acknowledge(a.id)}
          >
            {t('acknowledge')}
          </button>
        )}
        <button
          type="button"
          class="secondary"
          data-focus-key={`res-${a.id}`}
          aria-describedby={titleId}
          aria-expanded={resolving}
          aria-controls={`resolve-${a.id}`}
          onClick={() => actions.toggleResolve(a.id)}
        >
          {t('resolve')}
        </button>
        {/* the responder's two taps, on a phone at the door: set out, arrived (the server stamps who
            and when). After "Afslut", so focus after an acknowledgement still lands on resolving. */}
        {a.state !== 'resolved' && a.enRouteAt === null && a.arrivedAt === null && (
          <button
            type="button"
            class="step en-route"
            data-focus-key={`out-${a.id}`}
            aria-describedby={titleId}
            onClick={() => actions.setOut(a.id)}
          >
            {tb('enRoute')}
          </button>
        )}
        {a.state !== 'resolved' && a.arrivedAt === null && (
          <button
            type="button"
            class="step arrived"
            data-focus-key={`arr-${a.id}`}
            aria-describedby={titleId}
            onClick={() => actions.arrive(a.id)}
          >
            {tb('arrived')}
          </button>
        )}
        {/* one tap to the home's responder's card: the address, the key box, the numbers to call */}
        {a.audience !== 'technical' && (
          <a
            class="button-link card-link"
            href={`#/homes/${encodeURIComponent(a.homeId)}/card`}
            data-focus-key={`card-${a.id}`}
            aria-describedby={titleId}
          >
            {rt('openCard')}
          </a>
        )}
      </div>
      {/* an action that failed (the store did not answer): said on the card, in words and with a sign */}
      <ActionFailed text={actions.failure(a.id)} />
      {resolving && <ResolveForm alert={a} actions={actions} />}
    </li>
  );
}

function ActionFailed({ text }: { text: string | null }) {
  if (text === null) return null;
  return (
    <p class="action-failed" role="alert" data-action-failed="">
      <span aria-hidden="true">⚠ </span>
      {text}
    </p>
  );
}

/** Nobody "fremme" after the arrival target: said in words, with a sign, not by colour alone. */
function OverdueLine({ alert: a }: { alert: Alert }) {
  if (!arrivalOverdue(a) || a.arrivalDueAt === null) return null;
  const minutes = Math.round((a.arrivalDueAt - a.openedAt) / 60_000);
  return (
    <p class="overdue" data-overdue-mark="">
      <span aria-hidden="true">⚠ </span>
      {tb('arrivalOverdue', { minutes: String(minutes) })}
    </p>
  );
}

/** where the responder is: on the way, or there */
function ChainLine({ alert: a }: { alert: Alert }) {
  if (a.arrivedAt !== null) {
    const when = formatTime(a.arrivedAt);
    return (
      <p class="meta chain arrived">
        {a.arrivedByName
          ? tb('arrivedLine', { name: a.arrivedByName, when })
          : tb('arrivedLineUnknown', { when })}
      </p>
    );
  }
  if (a.enRouteAt !== null) {
    const when = formatTime(a.enRouteAt);
    return (
      <p class="meta chain en-route">
        {a.enRouteByName
          ? tb('enRouteLine', { name: a.enRouteByName, when })
          : tb('enRouteLineUnknown', { when })}
      </p>
    );
  }
  return null;
}

/** "1.988 tegn tilbage (højst 2.000)", or how many too many: said before the server refuses */
function noteRoom(length: number): string {
  const left = NOTE_MAX - length;
  const max = NOTE_MAX.toLocaleString('da-DK');
  return left >= 0
    ? tb('noteLeft', { n: left.toLocaleString('da-DK'), max })
    : tb('noteOver', { n: (-left).toLocaleString('da-DK'), max });
}

function ResolveForm({ alert: a, actions }: { alert: Alert; actions: CardActions }) {
  // the draft lives outside the component, so a card rendered again keeps what was typed
  const draft = actions.draft(a.id);
  const [outcome, setOutcome] = useState(draft.outcome);
  const [note, setNote] = useState(draft.note);
  const [missing, setMissing] = useState(false);
  const [tooLong, setTooLong] = useState(false);
  const over = note.length > NOTE_MAX;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget;
    if (!(form instanceof HTMLFormElement)) return;
    if (!outcome) {
      setMissing(true);
      form.querySelector<HTMLElement>(`#outcome-${CSS.escape(a.id)}`)?.focus();
      return;
    }
    if (over) {
      setTooLong(true);
      form.querySelector<HTMLElement>(`#note-${CSS.escape(a.id)}`)?.focus();
      return;
    }
    actions.submitResolve(a.id, { outcome, note });
  };
  return (
    <form
      class="resolve-form"
      id={`resolve-${a.id}`}
      aria-label={`${t('resolve')}: ${alertTitle(a)}`}
      // our own messages, in the page's language, instead of the browser's bubble
      noValidate
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          actions.toggleResolve(a.id);
        }
      }}
    >
      <label for={`outcome-${a.id}`}>{t('outcome')}</label>
      <select
        id={`outcome-${a.id}`}
        name="outcome"
        required
        data-focus-key={`outcome-${a.id}`}
        value={outcome}
        aria-invalid={missing && !outcome ? 'true' : undefined}
        aria-describedby={missing && !outcome ? `outcome-error-${a.id}` : undefined}
        onChange={(e) => {
          draft.outcome = e.currentTarget.value;
          setOutcome(draft.outcome);
        }}
      >
        {/* a first, empty choice: nothing is preselected, the worker chooses (issue 11) */}
        <option value="">{tb('chooseOutcome')}</option>
        {OUTCOMES.map((o) => (
          <option key={o} value={o}>
            {t.of('outcome_', o)}
          </option>
        ))}
      </select>
      <p id={`outcome-error-${a.id}`} class="error" role="alert" hidden={!(missing && !outcome)}>
        {missing && !outcome ? tb('outcomeMissing') : ''}
      </p>
      <label for={`note-${a.id}`}>{t('note')}</label>
      {/* no maxLength: the browser would cut a pasted note silently; the counter says it, the save refuses */}
      <textarea
        id={`note-${a.id}`}
        name="note"
        rows={2}
        aria-describedby={`note-room-${a.id}`}
        aria-invalid={over ? 'true' : undefined}
        data-focus-key={`note-${a.id}`}
        value={note}
        onInput={(e) => {
          draft.note = e.currentTarget.value;
          setNote(draft.note);
          setTooLong(false);
        }}
      />
      <p id={`note-room-${a.id}`} class={over ? 'note-room over' : 'note-room'}>
        {tooLong && over
          ? `${tb('noteTooLong', { max: NOTE_MAX.toLocaleString('da-DK') })} ${noteRoom(note.length)}`
          : noteRoom(note.length)}
      </p>
      <div class="actions">
        <button type="submit" data-focus-key={`save-${a.id}`}>
          {t('save')}
        </button>
        <button
          type="button"
          class="secondary"
          data-focus-key={`cancel-${a.id}`}
          onClick={() => actions.toggleResolve(a.id)}
        >
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
