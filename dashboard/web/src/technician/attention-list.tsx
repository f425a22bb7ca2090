import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { tx } from '../home-view/strings.ts';
import { formatTime } from '../i18n.ts';

const SORTS = ['lastSeen', 'battery', 'home'] as const;
const PROBLEMS = ['offline', 'never_seen', 'low_battery'] as const;
type Sort = (typeof SORTS)[number];
type Problem = (typeof PROBLEMS)[number];

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

interface Shown {
  devices: AttentionDevice[];
  page: AttentionPage | null;
  failed: boolean;
}

/**
 * Every device across all homes that needs a visit: offline, never heard from, low battery. Sorted
 * and paged by the server (tens of thousands of homes), with the count; each row opens its home.
 * The rows are a keyed list (by device id); a new `version` reads the list again.
 */
export function AttentionList({ open, version }: { open: (homeId: string) => void; version: number }) {
  const [sort, setSort] = useState<Sort>('lastSeen');
  const [problem, setProblem] = useState<Problem | ''>('');
  const [shown, setShown] = useState<Shown>({ devices: [], page: null, failed: false });
  const asked = useRef(0);

  const load = async (append: boolean, devices: AttentionDevice[]) => {
    const mine = ++asked.current;
    const offset = append ? devices.length : 0;
    try {
      const page: AttentionPage = await api('get', '/api/devices/attention', {
        query: { sort, problem: problem || undefined, offset, limit: PAGE },
      });
      if (mine !== asked.current) return;
      setShown({ devices: append ? [...devices, ...page.devices] : page.devices, page, failed: false });
    } catch {
      if (mine === asked.current) setShown((s) => ({ ...s, failed: true }));
    }
  };
  useEffect(() => void load(false, []), [sort, problem, version]);

  const { page, devices } = shown;
  const count = shown.failed
    ? tx('loadFailed')
    : !page
      ? ''
      : page.total === 0
        ? tx('attentionNone')
        : `${tx('attentionCount', { n: page.total })} · ${tx('problem_offline')} ${page.counts.offline} · ${tx('problem_never_seen')} ${page.counts.never_seen} · ${tx('problem_low_battery')} ${page.counts.low_battery}`;
  const typed = (e: Event) => (e.currentTarget as HTMLSelectElement).value;
  return (
    <section aria-labelledby="attention-title" class="panel-section attention">
      <h3 id="attention-title">{tx('attentionTitle')}</h3>
      <p class="hint">{tx('attentionIntro')}</p>
      <div class="inline-form">
        <label for="attention-sort">{tx('attentionSort')}</label>
        <select
          id="attention-sort"
          value={sort}
          onChange={(e) => setSort(SORTS.find((s) => s === typed(e)) ?? 'lastSeen')}
        >
          {SORTS.map((key) => (
            <option key={key} value={key}>
              {tx.of('sort_', key)}
            </option>
          ))}
        </select>
        <label for="attention-problem">{tx('attentionProblem')}</label>
        <select
          id="attention-problem"
          value={problem}
          onChange={(e) => setProblem(PROBLEMS.find((p) => p === typed(e)) ?? '')}
        >
          <option value="">—</option>
          {PROBLEMS.map((key) => (
            <option key={key} value={key}>
              {tx.of('problem_', key)}
            </option>
          ))}
        </select>
      </div>
      <p id="attention-count" role="status">
        {count}
      </p>
      {/* the scrolling box of a wide table: a labelled region reachable by keyboard, as WCAG 2.1.1 asks */}
      {/* biome-ignore lint/a11y/useSemanticElements: a plain scrolling box, already inside the list's own section */}
      <div
        class="table-scroll"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard
        tabIndex={0}
        role="region"
        aria-labelledby="attention-title"
      >
        <table id="attention-table">
          <thead>
            <tr>
              {[tx('home'), tx('deviceId'), tx('attentionProblem'), tx('lastSeen'), tx('battery')].map(
                (h) => (
                  <th key={h} scope="col">
                    {h}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.deviceId} data-device-id={d.deviceId}>
                <td>
                  <a
                    href={`#/technician/${encodeURIComponent(d.homeId)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      open(d.homeId);
                    }}
                  >
                    {d.homeLabel}
                  </a>
                </td>
                <td>
                  {d.deviceId}
                  {d.test ? ` (${tx('testDevice')})` : ''}
                </td>
                <td>{d.problems.map((p) => tx.of('problem_', p)).join(', ')}</td>
                <td>{d.lastSeen ? formatTime(d.lastSeen) : tx('never')}</td>
                <td>{d.battery ? `${Math.round(d.battery.value)} %` : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        class="secondary"
        id="attention-more"
        hidden={!page || devices.length >= page.total}
        onClick={() => void load(true, devices)}
      >
        {tx('showMore')}
      </button>
    </section>
  );
}
