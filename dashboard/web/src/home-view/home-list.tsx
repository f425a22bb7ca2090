import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clockTime } from '../test-mode.ts';
import { type HomeSummary, listHomes } from './api.ts';
import { tx } from './strings.ts';

const SHOWN = 100;

/** The homes a person may see (the server decides which), each a link to its home view. */
export class HomeList {
  constructor(private readonly root: HTMLElement) {}

  start(): void {
    render(<Homes />, this.root);
  }

  stop(): void {
    render(null, this.root);
  }
}

type Shown = { homes: HomeSummary[]; total: number | null; failed: boolean };

function Homes() {
  const heading = useRef<HTMLHeadingElement>(null);
  const [query, setQuery] = useState('');
  const [shown, setShown] = useState<Shown>({ homes: [], total: null, failed: false });
  useEffect(() => heading.current?.focus(), []);
  // the server filters (a municipality has many thousands of homes); wait for a pause in typing
  useEffect(() => {
    let current = true;
    const timer = setTimeout(
      () =>
        void listHomes(query.trim(), SHOWN)
          // only the answer to the latest question counts
          .then(({ homes, total }) => current && setShown({ homes, total, failed: false }))
          .catch(() => current && setShown((s) => ({ ...s, failed: true }))),
      query ? 250 : 0,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query]);
  const { homes, total } = shown;
  const more = shown.failed
    ? tx('loadFailed')
    : total === null
      ? ''
      : total === 0
        ? tx('noHomes')
        : total > homes.length
          ? tx('moreHomes', { n: homes.length })
          : '';
  return (
    <>
      <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
        {tx('homesTitle')}
      </h2>
      <p>{tx('homesIntro')}</p>
      <label for="home-filter">{tx('filterHomes')}</label>
      <input
        id="home-filter"
        type="search"
        autocomplete="off"
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      <ul class="home-list">
        {homes.map((h) => (
          <li key={h.id}>
            <a href={`#/homes/${encodeURIComponent(h.id)}`}>{h.label}</a>
            {h.test ? <span class="badge test">{tx('testHome')}</span> : null}
            {h.testUntil ? (
              <span class="badge test">{tx('inTestMode', { time: clockTime(h.testUntil) })}</span>
            ) : null}
          </li>
        ))}
      </ul>
      <p class="muted" role="status">
        {more}
      </p>
    </>
  );
}
