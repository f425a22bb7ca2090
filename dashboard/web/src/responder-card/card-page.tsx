import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { tx } from '../home-view/strings.ts';
import { responderCardSection } from './card-section.tsx';
import { rt } from './strings.ts';

/**
 * `#/homes/<id>/card`: the responder's card alone, one tap from an alert on the board, so a care
 * worker with a fall on the screen sees the address, the key box and the numbers to call first.
 */
export class ResponderCardPage {
  constructor(
    private readonly root: HTMLElement,
    private readonly homeId: string,
  ) {}

  start(): void {
    render(<CardPage homeId={this.homeId} />, this.root);
  }

  stop(): void {
    render(null, this.root);
  }
}

type Loaded =
  | { state: 'loading' }
  | { state: 'shown'; section: HTMLElement }
  | { state: 'missing' | 'failed' };

function CardPage({ homeId }: { homeId: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const heading = useRef<HTMLHeadingElement>(null);
  const body = useRef<HTMLDivElement>(null);
  useEffect(() => {
    heading.current?.focus();
    let stopped = false;
    responderCardSection(homeId, { level: 'h3' })
      .then((section) => {
        if (!stopped) setLoaded(section ? { state: 'shown', section } : { state: 'missing' });
      })
      .catch(() => {
        if (!stopped) setLoaded({ state: 'failed' });
      });
    return () => {
      stopped = true;
    };
  }, [homeId]);
  // the section is its own Preact tree (it is shared with the home view and the citizen's page)
  useEffect(() => {
    if (loaded.state === 'shown') body.current?.replaceChildren(loaded.section);
  }, [loaded]);
  const label = loaded.state === 'shown' ? loaded.section.dataset.homeLabel : undefined;
  return (
    <>
      <p class="crumb">
        <a href="#alarmer">{rt('backToAlerts')}</a>
        {' · '}
        <a href={`#/homes/${encodeURIComponent(homeId)}`}>{rt('wholeHome')}</a>
      </p>
      <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
        {label ? rt('pageTitle', { label }) : rt('title')}
      </h2>
      {loaded.state === 'shown' ? (
        <div ref={body} />
      ) : (
        <div>
          {loaded.state === 'loading' ? <p role="status">…</p> : null}
          {loaded.state === 'missing' ? (
            <p class="error" role="alert">
              {tx('homeNotFound')}
            </p>
          ) : null}
          {loaded.state === 'failed' ? (
            <p class="error" role="alert">
              {rt('codeFailed')}
            </p>
          ) : null}
        </div>
      )}
    </>
  );
}
