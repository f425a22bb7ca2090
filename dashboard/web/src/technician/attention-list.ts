import { api } from '../api/client.ts';
import { el } from '../home-view/dom.ts';
import { tx } from '../home-view/strings.ts';
import { formatTime } from '../i18n.ts';

const SORTS = ['lastSeen', 'battery', 'home'] as const;
const PROBLEMS = ['offline', 'never_seen', 'low_battery'] as const;

interface AttentionDevice {
  deviceId: string;
  homeId: string;
  homeLabel: string;
  test: boolean;
  problems: string[];
  lastSeen: number | null;
  battery: { value: number; ts: number } | null;
}
interface AttentionPage {
  total: number;
  counts: { offline: number; never_seen: number; low_battery: number };
  devices: AttentionDevice[];
}

const PAGE = 50;

/**
 * Every device across all homes that needs a visit: offline, never heard from, low battery. Sorted
 * and paged by the server (tens of thousands of homes), with the count; each row opens its home.
 */
export function attentionList(open: (homeId: string) => void): { element: HTMLElement; refresh(): void } {
  const sort = el('select', { id: 'attention-sort' });
  for (const key of SORTS) sort.append(el('option', { value: key }, tx.of('sort_', key)));
  const problem = el('select', { id: 'attention-problem' });
  problem.append(el('option', { value: '' }, '—'));
  for (const key of PROBLEMS) problem.append(el('option', { value: key }, tx.of('problem_', key)));
  const count = el('p', { id: 'attention-count', role: 'status' });
  const body = el('tbody');
  const more = el('button', { type: 'button', className: 'secondary', id: 'attention-more' }, tx('showMore'));
  let shown = 0;
  let asked = 0;

  const row = (d: AttentionDevice) =>
    el(
      'tr',
      { 'data-device-id': d.deviceId },
      el(
        'td',
        {},
        el(
          'a',
          {
            href: `#/technician/${encodeURIComponent(d.homeId)}`,
            onclick: (e: Event) => {
              e.preventDefault();
              open(d.homeId);
            },
          },
          d.homeLabel,
        ),
      ),
      el('td', {}, d.deviceId, d.test ? ` (${tx('testDevice')})` : ''),
      el('td', {}, d.problems.map((p) => tx.of('problem_', p)).join(', ')),
      el('td', {}, d.lastSeen ? formatTime(d.lastSeen) : tx('never')),
      el('td', {}, d.battery ? `${Math.round(d.battery.value)} %` : '–'),
    );

  const load = async (append: boolean) => {
    const mine = ++asked;
    const offset = append ? shown : 0;
    try {
      const page: AttentionPage = await api('get', '/api/devices/attention', {
        query: {
          sort: SORTS.find((s) => s === sort.value),
          problem: PROBLEMS.find((p) => p === problem.value),
          offset,
          limit: PAGE,
        },
      });
      if (mine !== asked) return;
      const rows = page.devices.map(row);
      if (append) body.append(...rows);
      else body.replaceChildren(...rows);
      shown = offset + page.devices.length;
      count.textContent =
        page.total === 0
          ? tx('attentionNone')
          : `${tx('attentionCount', { n: page.total })} · ${tx('problem_offline')} ${page.counts.offline} · ${tx('problem_never_seen')} ${page.counts.never_seen} · ${tx('problem_low_battery')} ${page.counts.low_battery}`;
      more.hidden = shown >= page.total;
    } catch {
      count.textContent = tx('loadFailed');
    }
  };
  sort.onchange = () => void load(false);
  problem.onchange = () => void load(false);
  more.onclick = () => void load(true);

  const element = el(
    'section',
    { 'aria-labelledby': 'attention-title', className: 'panel-section attention' },
    el('h3', { id: 'attention-title' }, tx('attentionTitle')),
    el('p', { className: 'hint' }, tx('attentionIntro')),
    el(
      'div',
      { className: 'inline-form' },
      el('label', { htmlFor: sort.id }, tx('attentionSort')),
      sort,
      el('label', { htmlFor: problem.id }, tx('attentionProblem')),
      problem,
    ),
    count,
    el(
      'div',
      { className: 'table-scroll', tabIndex: 0, role: 'region', 'aria-labelledby': 'attention-title' },
      el(
        'table',
        { id: 'attention-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...[tx('home'), tx('deviceId'), tx('attentionProblem'), tx('lastSeen'), tx('battery')].map((h) =>
              el('th', { scope: 'col' }, h),
            ),
          ),
        ),
        body,
      ),
    ),
    more,
  );
  return { element, refresh: () => void load(false) };
}
