import { clockTime } from '../test-mode.ts';
import { type HomeSummary, listHomes } from './api.ts';
import { el, pageHeading } from './dom.ts';
import { tx } from './strings.ts';

const SHOWN = 100;

/** The homes a person may see (the server decides which), each a link to its home view. */
export class HomeList {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private asked = 0;
  private readonly list = el('ul', { className: 'home-list' });
  private readonly more = el('p', { className: 'muted', role: 'status' });
  private stopped = false;

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    const filter = el('input', { id: 'home-filter', type: 'search', autocomplete: 'off' });
    // the server filters (a municipality has many thousands of homes); wait for a pause in typing
    filter.oninput = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.load(filter.value), 250);
    };
    const heading = pageHeading(tx('homesTitle'), 'page-title');
    this.root.replaceChildren(
      heading,
      el('p', {}, tx('homesIntro')),
      el('label', { htmlFor: filter.id }, tx('filterHomes')),
      filter,
      this.list,
      this.more,
    );
    heading.focus();
    this.load('');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private load(query: string): void {
    const asked = ++this.asked;
    void listHomes(query.trim(), SHOWN)
      .then(({ homes, total }) => {
        // only the answer to the latest question counts
        if (!this.stopped && asked === this.asked) this.renderList(homes, total);
      })
      .catch(() => {
        this.more.textContent = tx('loadFailed');
      });
  }

  private renderList(homes: HomeSummary[], total: number): void {
    this.list.replaceChildren(
      ...homes.map((h) =>
        el(
          'li',
          {},
          el('a', { href: `#/homes/${encodeURIComponent(h.id)}` }, h.label),
          h.test ? el('span', { className: 'badge test' }, tx('testHome')) : null,
          h.testUntil
            ? el('span', { className: 'badge test' }, tx('inTestMode', { time: clockTime(h.testUntil) }))
            : null,
        ),
      ),
    );
    this.more.textContent =
      total === 0 ? tx('noHomes') : total > homes.length ? tx('moreHomes', { n: homes.length }) : '';
  }
}
