import type { LiveAlertsOff } from '../../../services/domain/shared/live-messages.ts';
import { api } from './api/client.ts';
import { ApiError } from './api.ts';
import { clockTime, fill } from './delivery.ts';
import { el } from './dom.ts';
import { currentLang, t } from './i18n.ts';

/** A kind of alert a home has switched off (services/consent AlertsOff, as /live sends it). */
export type AlertsOff = LiveAlertsOff;

export interface HomeAlertsOff {
  homeId: string;
  homeLabel: string;
  alertsOff: AlertsOff[];
}

export const alertsOffList = (): Promise<{ homes: HomeAlertsOff[] }> => api('get', '/api/consent/alerts-off');

/** "28.11. kl. 10.12": the day and the time, in Copenhagen */
export function sinceText(ms: number): string {
  const date = new Intl.DateTimeFormat(currentLang() === 'da' ? 'da-DK' : 'en-GB', {
    day: 'numeric',
    month: 'numeric',
    timeZone: 'Europe/Copenhagen',
  }).format(ms);
  return fill('sinceWhen', { date, time: clockTime(ms) });
}

/** who switched it off, in plain words */
export function offBy(o: { actorRole: string | null; onBehalfOfCitizen: boolean }): string {
  return t.of('offBy_', o.actorRole ?? 'system');
}

/** "Ellen (demo-1): alarm ved nødkald og fald er slået fra siden 28.11. kl. 10.12 af borgeren" */
export function offLine(homeLabel: string, o: AlertsOff): string {
  return fill('alertsOffLine', {
    home: homeLabel,
    what: t.of('offWhat_', o.category),
    when: sinceText(o.since),
    who: offBy(o),
  });
}

/**
 * The board's notice of homes that switched a kind of alert off (issue 7 item 12): care staff see
 * who will not be alerted about what, and since when, so nobody waits for an alarm that cannot
 * come. Loaded whenever the live feed (re)connects, then kept current by `{type:'consent'}`.
 */
export class AlertsOffNotice {
  readonly element = el('section', {
    className: 'alerts-off',
    'aria-labelledby': 'alerts-off-title',
    hidden: true,
  });
  private readonly homes = new Map<string, HomeAlertsOff>();
  /** homes changed live while a load was on its way: the live word is newer than the load's */
  private changedDuringLoad: Set<string> | null = null;

  constructor(private readonly announce: (text: string) => void) {}

  async load(): Promise<void> {
    const changed = new Set<string>();
    this.changedDuringLoad = changed;
    try {
      const { homes } = await alertsOffList();
      for (const id of [...this.homes.keys()]) if (!changed.has(id)) this.homes.delete(id);
      for (const h of homes) if (!changed.has(h.homeId)) this.homes.set(h.homeId, h);
      this.render();
    } catch (err) {
      // a role without this list (technicians) simply has no notice
      if (!(err instanceof ApiError)) throw err;
    } finally {
      if (this.changedDuringLoad === changed) this.changedDuringLoad = null;
    }
  }

  /** a live change: the home's list as it is now replaces what was shown */
  apply(home: HomeAlertsOff): void {
    const before = this.homes.get(home.homeId)?.alertsOff.length ?? 0;
    this.changedDuringLoad?.add(home.homeId);
    if (home.alertsOff.length > 0) this.homes.set(home.homeId, home);
    else this.homes.delete(home.homeId);
    this.render();
    const lines = home.alertsOff.map((o) => offLine(home.homeLabel, o));
    if (lines.length > 0) this.announce(`${t('alertsOffAnnounce')}: ${lines.join('. ')}`);
    else if (before > 0) this.announce(fill('alertsOnAgain', { home: home.homeLabel }));
  }

  render(): void {
    const homes = [...this.homes.values()].sort((a, b) => a.homeLabel.localeCompare(b.homeLabel, 'da'));
    const items = homes.flatMap((h) =>
      h.alertsOff.map((o) =>
        el('li', { 'data-home-id': h.homeId, 'data-category': o.category }, offLine(h.homeLabel, o)),
      ),
    );
    this.element.hidden = items.length === 0;
    this.element.replaceChildren(
      el('h3', { id: 'alerts-off-title' }, t('alertsOffTitle')),
      el('p', {}, t('alertsOffIntro')),
      el('ul', {}, ...items),
    );
  }
}
