import { type HomeSummary, listHomes } from './api.ts';
import { el, pageHeading } from './dom.ts';
import { tx } from './strings.ts';

const SHOWN = 100;

/** The homes a person may see (the server decides which), each a link to its home view. */
export class HomeList {
  private homes: HomeSummary[] = [];
  private readonly list = el('ul', { className: 'home-list' });
  private readonly more = el('p', { className: 'muted', role: 'status' });
  private stopped = false;

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    const filter = el('input', { id: 'home-filter', type: 'search', autocomplete: 'off' });
    filter.oninput = () => this.renderList(filter.value);
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
    void listHomes()
      .then(({ homes }) => {
        if (this.stopped) return;
        this.homes = homes.sort((a, b) => a.label.localeCompare(b.label, 'da'));
        this.renderList(filter.value);
      })
      .catch(() => {
        this.more.textContent = tx('loadFailed');
      });
  }

  stop(): void {
    this.stopped = true;
  }

  private renderList(query: string): void {
    const q = query.trim().toLowerCase();
    const matches = this.homes.filter((h) => !q || h.label.toLowerCase().includes(q) || h.id.includes(q));
    this.list.replaceChildren(
      ...matches
        .slice(0, SHOWN)
        .map((h) =>
          el(
            'li',
            {},
            el('a', { href: `#/homes/${encodeURIComponent(h.id)}` }, h.label),
            h.test ? el('span', { className: 'badge test' }, tx('testHome')) : null,
          ),
        ),
    );
    this.more.textContent =
      matches.length === 0 ? tx('noHomes') : matches.length > SHOWN ? tx('moreHomes', { n: SHOWN }) : '';
  }
}
