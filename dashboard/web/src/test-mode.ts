import type { LiveTestMode } from '../../../services/domain/shared/live-messages.ts';
import { el } from './dom.ts';
import { currentLang } from './i18n.ts';
import { section } from './messages/index.ts';

/**
 * Test mode as care staff see it: a technician is testing a citizen's home (or some of its devices)
 * until a time, after which it ends by itself. Critical alarms (fall, alarm button, smoke, carbon
 * monoxide) still reach staff, marked; other alerts from the tested devices are the test's.
 */
/** Words of test mode (the catalog's `testMode` section). */
export const testText = section('testMode');

/** HH:MM in the municipality's time zone */
export function clockTime(ms: number): string {
  return new Intl.DateTimeFormat(currentLang() === 'da' ? 'da-DK' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Europe/Copenhagen',
  }).format(ms);
}

/** What `/live` says of one home's test mode: `until` null and no devices once it is over. */
/** a home's test mode as /live tells it (services/domain/shared/live-messages.ts) */
export type TestModeNotice = Omit<LiveTestMode, 'type'>;

/** One sentence (and the rule) for a home in test mode, or null when nothing is in test mode now. */
export function testModeLine(n: Omit<TestModeNotice, 'homeId'>, now = Date.now()): string | null {
  const devices = n.devices.filter((d) => d.until > now);
  const home = n.until !== null && n.until > now ? n.until : null;
  if (home === null && devices.length === 0) return null;
  const label = n.homeLabel || testText('thisHome');
  const line =
    home !== null
      ? testText('home', { home: label, time: clockTime(Math.max(home, ...devices.map((d) => d.until))) })
      : testText('devices', {
          home: label,
          devices: devices.map((d) => d.id).join(', '),
          time: clockTime(Math.max(...devices.map((d) => d.until))),
        });
  return `${line} ${testText('rule')}`;
}

/**
 * The board's list of homes in test mode, kept from `/live` notices. Each line goes away by itself
 * when its time is up, as test mode does on the server.
 */
export class TestModeBanner {
  private readonly list = el('ul', {});
  /** a status region: a test mode starting or ending is said to a screen reader too */
  readonly node = el(
    'div',
    { className: 'test-mode-banner', id: 'test-mode-banner', role: 'status', hidden: true },
    this.list,
  );
  private readonly homes = new Map<string, TestModeNotice>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  apply(notice: TestModeNotice): void {
    this.homes.set(notice.homeId, notice);
    this.render();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private render(): void {
    clearTimeout(this.timer);
    const now = Date.now();
    const items: HTMLLIElement[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [homeId, n] of this.homes) {
      const line = testModeLine(n, now);
      if (!line) {
        this.homes.delete(homeId);
        continue;
      }
      items.push(el('li', { 'data-home-id': homeId }, line));
      for (const u of [n.until ?? 0, ...n.devices.map((d) => d.until)]) if (u > now) next = Math.min(next, u);
    }
    this.list.replaceChildren(...items);
    this.node.hidden = items.length === 0;
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.render(), Math.max(1000, next - now + 500));
  }
}
