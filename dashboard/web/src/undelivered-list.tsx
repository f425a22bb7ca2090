import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiResponse, api } from './api/client.ts';
import { tb } from './board-strings.ts';
import { channelName, clockTime, why } from './delivery.ts';
import { el } from './dom.ts';
import { t } from './i18n.ts';

type Answer = ApiResponse<'/api/notices/undelivered', 'get'>;
type Notice = Answer['notices'][number];
const PERIODS = ['24h', '7d'] as const;
type Period = (typeof PERIODS)[number];

/**
 * "Ikke leveret" (issue 13): notices outside the board (webhook, SMS, care record) that were not
 * delivered within NOTICE_LATE_S, or were given up, for the homes this person works with. Closed
 * until asked for (a disclosure), read again whenever a notice about an alert changes. Staff and
 * administrators only: for anyone else the server says no and the section stays hidden.
 */
export class UndeliveredList {
  readonly element = el('section', {
    className: 'undelivered-notices',
    'aria-labelledby': 'undelivered-title',
  });
  private version = 0;

  constructor() {
    this.draw();
    // asked once: a technician's board (the server says no) does not show the section at all
    this.element.hidden = true;
    api('get', '/api/notices/undelivered', { query: { period: '24h', limit: 1 } }).then(
      () => {
        this.element.hidden = false;
      },
      (err: unknown) => {
        this.element.hidden = err instanceof ApiError && err.status === 403;
      },
    );
  }

  /** a notice changed (tried, delivered, given up): an open list is read again */
  changed(): void {
    this.version++;
    this.draw();
  }

  private draw(): void {
    render(<Undelivered version={this.version} hide={() => (this.element.hidden = true)} />, this.element);
  }
}

function Undelivered({ version, hide }: { version: number; hide: () => void }) {
  const [open, setOpen] = useState(false);
  const [period, setPeriod] = useState<Period>('24h');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [status, setStatus] = useState('');
  const asked = useRef(0);

  const load = async () => {
    const request = ++asked.current;
    try {
      const page = await api('get', '/api/notices/undelivered', { query: { period, limit: 100 } });
      if (request !== asked.current) return;
      setAnswer(page);
      setStatus(page.notices.length === 0 ? tb('undeliveredNone') : '');
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return hide();
      if (request === asked.current) setStatus(tb('loadFailed'));
    }
  };
  useEffect(() => {
    if (open) void load();
  }, [open, period, version]);

  return (
    <>
      <h2 id="undelivered-title">{tb('undeliveredTitle')}</h2>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>{tb('undeliveredShow')}</summary>
        {answer && <p class="meta">{tb('undeliveredIntro', { s: String(answer.lateAfterS) })}</p>}
        <label for="undelivered-period">{tb('resolvedPeriod')}</label>
        <select
          id="undelivered-period"
          name="period"
          value={period}
          onChange={(e) => setPeriod(PERIODS.find((p) => p === e.currentTarget.value) ?? '24h')}
        >
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {tb.of('period_', p)}
            </option>
          ))}
        </select>
        <p class="empty" role="status">
          {status}
        </p>
        <ul class="undelivered-list" aria-labelledby="undelivered-title">
          {(answer?.notices ?? []).map((n) => (
            <UndeliveredItem key={n.id} notice={n} />
          ))}
        </ul>
      </details>
    </>
  );
}

function UndeliveredItem({ notice: n }: { notice: Notice }) {
  const state = n.state === 'given_up' ? tb('undeliveredGivenUp') : tb('undeliveredTrying');
  return (
    <li class={`undelivered-item ${n.state}`} data-notice-id={n.id} data-alert-id={n.alertId ?? ''}>
      <span aria-hidden="true">⚠ </span>
      {`${channelName(n)} – ${n.homeLabel ?? n.homeId ?? ''}`}
      <p class="meta">
        {`${t('noticeSince')} ${clockTime(n.since)} · ${state} · ${tb('undeliveredAttempts', { n: String(n.attempts) })}`}
        {/* given up untried (too old after an outage, no channel) still says why */}
        {n.attempts > 0 || n.detail ? ` · ${why(n.detail)}` : ''}
      </p>
    </li>
  );
}
