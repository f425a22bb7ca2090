import { AdminPage } from './admin/admin-page.tsx';
import { ta } from './admin/strings.ts';
import type { User } from './api.ts';
import { el } from './dom.ts';
import { HomeList } from './home-view/home-list.tsx';
import { HomeView } from './home-view/home-view.tsx';
import { tx } from './home-view/strings.ts';
import { setsNightRoundTimes, walksNightRound } from './night-round/access.ts';
import { NightRoundPage } from './night-round/round-page.tsx';
import { nt } from './night-round/strings.ts';
import { NightRoundTimesPage } from './night-round/times-page.tsx';
import { ResponderCardPage } from './responder-card/card-page.tsx';
import { TechnicianPage } from './technician/technician-page.tsx';

/** A page of the app: it draws itself into `main` on start and lets go of timers and sockets on stop. */
export interface Page {
  start(): void;
  stop(): void;
}

type Route =
  | { name: 'alerts' }
  | { name: 'oversight' }
  | { name: 'homes' }
  | { name: 'home'; homeId: string }
  | { name: 'card'; homeId: string }
  | { name: 'night-round' }
  | { name: 'night-round-times'; homeId: string }
  | { name: 'technician'; homeId: string | null }
  | { name: 'admin' };

const isStaff = (role: string) => ['staff', 'admin'].includes(role);

const seesHomes = (role: string) => ['staff', 'admin', 'technician'].includes(role);
const isTechnical = (role: string) => ['technician', 'admin'].includes(role);

/** A malformed escape (`%zz`) in a typed or pasted address is kept as it is, not an exception. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** `#alarmer`, `#overblik`, `#/homes`, `#/homes/<id>`, `#/technician[/<id>]`; else the role's start page. */
export function parseRoute(hash: string, role: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodePart);
  if (parts[0] === 'overblik' && isStaff(role)) return { name: 'oversight' };
  // the responder's card, one tap from an alert (`#/homes/<id>/card`)
  if (parts[0] === 'homes' && parts[1] && parts[2] === 'card' && seesHomes(role))
    return { name: 'card', homeId: parts[1] };
  // the night round is for care staff; a home's round times for staff of its team and administrators
  if (parts[0] === 'tilsynsrunde' && walksNightRound(role)) return { name: 'night-round' };
  if (parts[0] === 'homes' && parts[1] && parts[2] === 'tilsynsrunde' && setsNightRoundTimes(role))
    return { name: 'night-round-times', homeId: parts[1] };
  if (parts[0] === 'homes' && seesHomes(role))
    return parts[1] ? { name: 'home', homeId: parts[1] } : { name: 'homes' };
  if (parts[0] === 'admin' && role === 'admin') return { name: 'admin' };
  if (parts[0] === 'technician' && isTechnical(role)) return { name: 'technician', homeId: parts[1] ?? null };
  // technicians have an alert board too: technical alerts (device offline, low battery) and test alerts
  if (parts[0] === 'alarmer' && role === 'technician') return { name: 'alerts' };
  return role === 'technician' ? { name: 'technician', homeId: null } : { name: 'alerts' };
}

/** The page for the address, or null for the alert board (which main.ts builds as before). */
export function pageFor(route: Route, main: HTMLElement, role: string): Page | null {
  switch (route.name) {
    case 'homes':
      return new HomeList(main);
    case 'home':
      return new HomeView(main, route.homeId, setsNightRoundTimes(role));
    case 'card':
      return new ResponderCardPage(main, route.homeId);
    case 'night-round':
      return new NightRoundPage(main);
    case 'night-round-times':
      return new NightRoundTimesPage(main, route.homeId, walksNightRound(role));
    case 'technician':
      return new TechnicianPage(main, route.homeId);
    case 'admin':
      return new AdminPage(main);
    default:
      return null;
  }
}

/** The main menu, after the page header: only the pages this role has. */
export function renderNav(user: User | null, route: Route | null): void {
  document.getElementById('main-nav')?.remove();
  if (!user || !route) return;
  const links: Array<[string, string, boolean]> = [];
  if (isStaff(user.role)) {
    links.push(['#alarmer', tx('navAlerts'), route.name === 'alerts']);
    links.push(['#overblik', tx('navOversight'), route.name === 'oversight']);
  }
  if (walksNightRound(user.role)) links.push(['#tilsynsrunde', nt('title'), route.name === 'night-round']);
  if (seesHomes(user.role))
    links.push([
      '#/homes',
      tx('navHomes'),
      route.name === 'homes' ||
        route.name === 'home' ||
        route.name === 'card' ||
        route.name === 'night-round-times',
    ]);
  if (isTechnical(user.role)) links.push(['#/technician', tx('navTechnician'), route.name === 'technician']);
  if (user.role === 'admin') links.push(['#/admin', ta('navAdmin'), route.name === 'admin']);
  if (user.role === 'technician') links.push(['#alarmer', tx('navAlerts'), route.name === 'alerts']);
  if (links.length < 2) return;
  const nav = el(
    'nav',
    { id: 'main-nav', className: 'main-nav', 'aria-label': tx('navLabel') },
    el(
      'ul',
      {},
      ...links.map(([href, text, current]) =>
        el('li', {}, el('a', { href, ...(current ? { 'aria-current': 'page' } : {}) }, text)),
      ),
    ),
  );
  document.querySelector('header')?.after(nav);
}
