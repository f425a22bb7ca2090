import { el } from '../dom.ts';
import { pageHeading } from '../home-view/dom.ts';
import { tx } from '../home-view/strings.ts';
import { responderCardSection } from './card-section.tsx';
import { rt } from './strings.ts';

/**
 * `#/homes/<id>/card`: the responder's card alone, one tap from an alert on the board, so a care
 * worker with a fall on the screen sees the address, the key box and the numbers to call first.
 */
export class ResponderCardPage {
  private stopped = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly homeId: string,
  ) {}

  start(): void {
    const heading = pageHeading(rt('title'), 'page-title');
    const crumbs = el(
      'p',
      { className: 'crumb' },
      el('a', { href: '#alarmer' }, rt('backToAlerts')),
      ' · ',
      el('a', { href: `#/homes/${encodeURIComponent(this.homeId)}` }, rt('wholeHome')),
    );
    const body = el('div', {}, el('p', { role: 'status' }, '…'));
    this.root.replaceChildren(crumbs, heading, body);
    heading.focus();
    void responderCardSection(this.homeId, { level: 'h3' })
      .then((section) => {
        if (this.stopped) return;
        if (!section) {
          body.replaceChildren(el('p', { className: 'error', role: 'alert' }, tx('homeNotFound')));
          return;
        }
        const label = section.dataset.homeLabel;
        if (label) heading.textContent = rt('pageTitle', { label });
        body.replaceChildren(section);
      })
      .catch(() => {
        if (!this.stopped)
          body.replaceChildren(el('p', { className: 'error', role: 'alert' }, rt('codeFailed')));
      });
  }

  stop(): void {
    this.stopped = true;
  }
}
