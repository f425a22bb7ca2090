import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { clockTime, nt } from './strings.ts';
import { type RoundHome, type RoundView, Summary } from './summary-lines.tsx';

/** how often the round is fetched again: a re-listed home moves to the top without a reload */
const REFRESH_MS = 30_000;

/**
 * `#tilsynsrunde`: the night round for night staff (issue 13 point 4). The homes of their teams whose
 * round is now, the ones nobody has looked at in time first; each with a plain summary, "alt roligt"
 * or "se nærmere" with its reasons, and a one-tap "Jeg har kigget". Phone-sized, keyboard usable.
 */
export class NightRoundPage {
  constructor(private readonly root: HTMLElement) {}

  start(): void {
    render(<RoundPage />, this.root);
  }

  stop(): void {
    render(null, this.root);
  }
}

type Loaded =
  | { state: 'loading' }
  | { state: 'shown'; round: RoundView }
  | { state: 'failed'; round?: RoundView };

function RoundPage() {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const load = async () => {
    try {
      const round = await api('get', '/api/night-round');
      setLoaded({ state: 'shown', round });
    } catch {
      setLoaded((l) => ({ state: 'failed', ...('round' in l && l.round ? { round: l.round } : {}) }));
    }
  };
  useEffect(() => {
    heading.current?.focus();
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const look = async (home: RoundHome) => {
    try {
      const looked = await api('post', '/api/night-round/looks', {
        body: { homeId: home.homeId, roundAt: home.roundAt },
      });
      const mine = looked.looks.filter((l) => l.byMe).at(-1);
      setStatus(
        `${home.label}: ${mine ? nt('lookedByMe', { time: clockTime(mine.lookedAt) }) : nt('status_looked')}`,
      );
    } catch (err) {
      setStatus(
        `${home.label}: ${err instanceof ApiError && err.status === 409 ? nt('lookGone') : nt('lookFailed')}`,
      );
    }
    await load();
  };

  const round = 'round' in loaded ? loaded.round : undefined;
  return (
    <>
      <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
        {nt('title')}
      </h2>
      <p>{nt('intro')}</p>
      <p id="round-status" role="status" aria-live="polite">
        {status}
      </p>
      {loaded.state === 'loading' ? <p>…</p> : null}
      {loaded.state === 'failed' ? (
        <p class="error" role="alert">
          {nt('loadFailed')}
        </p>
      ) : null}
      {round ? <RoundList round={round} onLook={look} /> : null}
      {round ? <p class="muted">{nt('updated', { time: clockTime(round.now) })}</p> : null}
    </>
  );
}

function RoundList({ round, onLook }: { round: RoundView; onLook: (h: RoundHome) => Promise<void> }) {
  if (round.homes.length === 0)
    return (
      <div id="round-empty">
        <p>{nt('nothingDue')}</p>
        <p>{round.next ? nt('next', { time: round.next.time, homes: round.next.homes }) : nt('noNext')}</p>
      </div>
    );
  return (
    <ul class="round-list" id="round-list">
      {round.homes.map((h) => (
        <RoundItem key={`${h.homeId}|${h.roundAt}`} home={h} onLook={onLook} />
      ))}
    </ul>
  );
}

function statusText(h: RoundHome): string {
  const last = h.looks.at(-1);
  if (h.status === 'looked' && last)
    return last.byMe
      ? nt('lookedByMe', { time: clockTime(last.lookedAt) })
      : nt('lookedByColleague', { time: clockTime(last.lookedAt) });
  if (h.status === 'due') return nt('status_due', { time: clockTime(h.relistAt) });
  return nt.of('status_', h.status);
}

function RoundItem({ home, onLook }: { home: RoundHome; onLook: (h: RoundHome) => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const titleId = `round-${home.homeId}-title`;
  const lookedByMe = home.looks.some((l) => l.byMe);
  return (
    <li
      class={`round-home ${home.status} mark-${home.summary.mark}`}
      aria-labelledby={titleId}
      data-home={home.homeId}
    >
      <h3 id={titleId}>{home.label}</h3>
      <p class="meta">
        {nt('roundAt', { time: home.time })} ·{' '}
        <span class={`round-state ${home.status}`}>{statusText(home)}</span>
      </p>
      <Summary home={home} />
      <button
        type="button"
        class={home.status === 'looked' ? 'secondary' : 'primary'}
        disabled={busy}
        aria-describedby={titleId}
        onClick={async () => {
          setBusy(true);
          try {
            await onLook(home);
          } finally {
            setBusy(false);
          }
        }}
      >
        {lookedByMe ? nt('lookAgain') : nt('look')}
      </button>
    </li>
  );
}
