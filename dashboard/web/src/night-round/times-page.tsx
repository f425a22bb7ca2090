import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { CATEGORY_TEXTS } from '../../../../services/domain/shared/information-texts.ts';
import type { ConsentCategory } from '../../../../services/domain/shared/sensor-kinds.ts';
import { type ApiResponse, api } from '../api/client.ts';
import { currentLang } from '../i18n.ts';
import { nt } from './strings.ts';

type Times = ApiResponse<'/api/homes/{homeId}/night-round', 'get'>;

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** "23:00, 2:00 05:00" → ["23:00", "02:00", "05:00"], or null when one is not a time */
export function parseTimes(text: string): string[] | null {
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim().replace('.', ':'))
    .filter(Boolean)
    .map((p) => (/^\d:\d\d$/.test(p) ? `0${p}` : p));
  if (parts.some((p) => !TIME.test(p)) || new Set(parts).size !== parts.length || parts.length > 12)
    return null;
  return parts;
}

/**
 * `#/homes/<id>/tilsynsrunde`: staff of the home's team set its night-round times, and see which
 * consented categories the round will show (none: the home is not on the round).
 */
export class NightRoundTimesPage {
  constructor(
    private readonly root: HTMLElement,
    private readonly homeId: string,
    /** whether this person walks the round (an administrator sets times but has no round) */
    private readonly roundLink = false,
  ) {}

  start(): void {
    render(<TimesPage homeId={this.homeId} roundLink={this.roundLink} />, this.root);
  }

  stop(): void {
    render(null, this.root);
  }
}

function TimesPage({ homeId, roundLink }: { homeId: string; roundLink: boolean }) {
  const [label, setLabel] = useState<string | null>(null);
  const [times, setTimes] = useState<Times | null>(null);
  const [failed, setFailed] = useState(false);
  const [text, setText] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    Promise.all([
      api('get', '/api/homes/{homeId}', { path: { homeId } }),
      api('get', '/api/homes/{homeId}/night-round', { path: { homeId } }),
    ])
      .then(([home, t]) => {
        setLabel(home.home.label);
        setTimes(t);
        setText(t.times.join(', '));
      })
      .catch(() => setFailed(true));
  }, [homeId]);

  const save = async (e: Event) => {
    e.preventDefault();
    const parsed = parseTimes(text);
    if (!parsed) {
      setMessage({ error: true, text: nt('timesInvalid') });
      return;
    }
    try {
      const saved = await api('put', '/api/homes/{homeId}/night-round', {
        path: { homeId },
        body: { times: parsed },
      });
      setTimes(saved);
      setText(saved.times.join(', '));
      setMessage({ error: false, text: nt('timesSaved') });
    } catch {
      setMessage({ error: true, text: nt('timesFailed') });
    }
  };

  const lang = currentLang();
  const categories = (times?.categories ?? []) as ConsentCategory[];
  return (
    <>
      <p class="crumb">
        <a href={`#/homes/${encodeURIComponent(homeId)}`}>{nt('backToHome')}</a>
        {roundLink && (
          <>
            {' · '}
            <a href="#tilsynsrunde">{nt('title')}</a>
          </>
        )}
      </p>
      <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
        {label ? nt('timesTitle', { label }) : nt('title')}
      </h2>
      {failed ? (
        <p class="error" role="alert">
          {nt('homeNotFound')}
        </p>
      ) : null}
      {times ? (
        <>
          <p>{nt('timesIntro')}</p>
          <p id="round-covers">
            {categories.length > 0
              ? nt('covers', {
                  categories: categories.map((c) => CATEGORY_TEXTS[c].title[lang].toLowerCase()).join(', '),
                })
              : nt('notConsented')}
          </p>
          <p id="round-next">
            {times.times.length === 0
              ? nt('noTimes')
              : times.next
                ? nt('nextRound', { time: times.next.time })
                : ''}
          </p>
          <form class="panel" onSubmit={save}>
            <label for="round-times">{nt('timesLabel')}</label>
            <input
              id="round-times"
              name="times"
              inputMode="numeric"
              autocomplete="off"
              aria-describedby="round-times-hint"
              value={text}
              onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
            />
            <p id="round-times-hint" class="muted">
              {nt('timesHint')}
            </p>
            <p role="status" class={message?.error ? 'error' : ''}>
              {message?.text ?? ''}
            </p>
            <button type="submit">{nt('timesSave')}</button>
          </form>
        </>
      ) : null}
    </>
  );
}
