import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiResponse, api } from './api/client.ts';
import { tb } from './board-strings.ts';
import { el } from './dom.ts';
import { errorText } from './errors.ts';
import { formatTime, t } from './i18n.ts';

type ResolvedAlert = ApiResponse<'/api/resolved-alerts', 'get'>['alerts'][number];
const PERIODS = ['24h', '7d'] as const;
type Period = (typeof PERIODS)[number];
const PAGE = 20;

/**
 * Recently resolved alerts, under the open ones: what the team handled, with outcome and note, for
 * the handover (24 hours) or the week. Closed until asked for (a disclosure), read from the server
 * a page at a time, and read again when the worker resolves an alert while it is open. Nothing here
 * counts or ranks people: it lists alerts. A Preact component with a keyed list.
 */
export class ResolvedList {
  readonly element = el('section', { className: 'resolved', 'aria-labelledby': 'resolved-title' });
  private version = 0;

  constructor() {
    this.draw();
  }

  /** an alert was resolved here: an open list shows it */
  changed(): void {
    this.version++;
    this.draw();
  }

  private draw(): void {
    render(<Resolved version={this.version} />, this.element);
  }
}

function Resolved({ version }: { version: number }) {
  const [open, setOpen] = useState(false);
  const [period, setPeriod] = useState<Period>('24h');
  const [alerts, setAlerts] = useState<ResolvedAlert[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  // the latest request wins: an answer to an older question (another period) is dropped
  const asked = useRef(0);

  const load = async (more: boolean) => {
    const request = ++asked.current;
    try {
      const page = await api('get', '/api/resolved-alerts', {
        query: { period, limit: PAGE, ...(more && next ? { before: next } : {}) },
      });
      if (request !== asked.current) return;
      const list = more ? [...alerts, ...page.alerts] : page.alerts;
      setAlerts(list);
      setNext(page.next);
      setStatus(list.length === 0 ? tb('resolvedNone') : '');
    } catch {
      if (request === asked.current) setStatus(tb('loadFailed'));
    }
  };
  useEffect(() => {
    if (open) void load(false);
  }, [open, period, version]);

  return (
    <>
      <h2 id="resolved-title">{tb('resolvedTitle')}</h2>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>{tb('resolvedShow')}</summary>
        <label for="resolved-period">{tb('resolvedPeriod')}</label>
        <select
          id="resolved-period"
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
        <ul class="resolved-list" aria-labelledby="resolved-title">
          {alerts.map((a) => (
            <ResolvedItem key={a.id} alert={a} />
          ))}
        </ul>
        <button type="button" class="secondary" hidden={!next} onClick={() => void load(true)}>
          {tb('resolvedMore')}
        </button>
      </details>
    </>
  );
}

function ResolvedItem({ alert: a }: { alert: ResolvedAlert }) {
  return (
    <li class={`resolved-item ${a.severity}`} data-alert-id={a.id}>
      <h3>
        {a.test ? (
          <span class="badge test" data-test-mark="">
            {t('testMark')}
          </span>
        ) : (
          ''
        )}
        {a.test ? ' ' : ''}
        {`${t.of('rule_', a.rule)} – ${a.homeLabel}`}
      </h3>
      <p class="meta">
        {`${t.of('severity_', a.severity)} · ${tb('raisedAt')} ${formatTime(a.openedAt)}`}
        {a.acknowledgedAt ? ` · ${tb('acknowledgedAt')} ${formatTime(a.acknowledgedAt)}` : ''}
        {a.resolvedAt ? ` · ${tb('resolvedAt')} ${formatTime(a.resolvedAt)}` : ''}
      </p>
      <p class="meta">{`${tb('outcomeLabel')}: ${a.outcome ? t.of('outcome_', a.outcome) : '–'}`}</p>
      <p class="meta note">{a.note ? `${tb('noteLabel')}: ${a.note}` : tb('noNote')}</p>
      {a.test || a.audience !== 'care' ? null : <CareRecordDownload alertId={a.id} />}
    </li>
  );
}

/**
 * The care record's document (docs/care-record.md), fetched first so that a refusal (no consent to
 * sharing with the care record, say) is worded here, in place, instead of being saved as a file.
 * The server checks consent and audits the download.
 */
function CareRecordDownload({ alertId }: { alertId: string }) {
  const [refusal, setRefusal] = useState<string | null>(null);
  const download = async () => {
    setRefusal(null);
    try {
      const res = await fetch(`/api/alerts/${encodeURIComponent(alertId)}/care-record`, {
        credentials: 'same-origin',
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string; reason?: string };
        throw new ApiError(res.status, '', [], body.error ?? `http_${res.status}`, body.reason);
      }
      const url = URL.createObjectURL(await res.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = `tryghed-alarm-${alertId}.fhir.json`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setRefusal(errorText(err));
    }
  };
  return (
    <p class="meta">
      <button type="button" class="secondary care-record-download" onClick={() => void download()}>
        {tb('careRecordDownload')}
      </button>
      {refusal ? (
        <span class="error" role="alert">
          {` ${refusal}`}
        </span>
      ) : null}
    </p>
  );
}
