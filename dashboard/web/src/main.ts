import { renderPasswordChange } from './admin/password-change.ts';
import {
  ApiError,
  currentSession,
  type LoginProvider,
  login,
  loginProviders,
  logout,
  type User,
} from './api.ts';
import { AlertBoard } from './board.ts';
import { CitizenPage } from './citizen/page.tsx';
import { currentLang, setLang, t } from './i18n.ts';
import { renderOversight } from './oversight/page.ts';
import { type Page, pageFor, parseRoute, renderNav } from './routes.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const main = $('main');
const langButton = $<HTMLButtonElement>('lang');
const logoutButton = $<HTMLButtonElement>('logout');
let board: AlertBoard | null = null;
let page: Page | null = null;
let user: User | null = null;
/** other ways to log in (a municipal identity provider), fetched once */
let providers: LoginProvider[] = [];

function renderLogin(message = ''): void {
  const form = document.createElement('form');
  form.className = 'panel';
  form.setAttribute('aria-labelledby', 'login-title');
  form.innerHTML = `<h2 id="login-title"></h2>
    <label for="username"></label><input id="username" name="username" autocomplete="username" required />
    <label for="password"></label><input id="password" name="password" type="password" autocomplete="current-password" required />
    <p id="login-error" class="error" role="alert"></p>
    <button type="submit"></button>`;
  form.querySelector('h2')!.textContent = t('login');
  form.querySelector('label[for=username]')!.textContent = t('username');
  form.querySelector('label[for=password]')!.textContent = t('password');
  form.querySelector('#login-error')!.textContent = message;
  form.querySelector('button')!.textContent = t('login');
  form.onsubmit = async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    try {
      user = await login(String(data.get('username')), String(data.get('password')));
      renderApp();
    } catch (err) {
      renderLogin(err instanceof ApiError && err.status === 429 ? t('tooMany') : t('wrongLogin'));
    }
  };
  const redirects = providers.filter((p) => p.kind === 'redirect' && p.start && p.label);
  if (redirects.length > 0) {
    const list = document.createElement('div');
    list.className = 'providers';
    for (const p of redirects) {
      const link = document.createElement('a');
      link.className = 'button';
      link.href = p.start!;
      link.textContent = p.label![currentLang()];
      list.append(link);
    }
    const or = document.createElement('p');
    or.textContent = t('orPassword');
    list.append(or);
    form.querySelector('h2')!.after(list);
  }
  main.replaceChildren(form);
  logoutButton.hidden = true;
  (form.querySelector('#username') as HTMLInputElement).focus();
}

function renderApp(): void {
  if (!user) {
    renderLogin();
    return;
  }
  logoutButton.hidden = false;
  logoutButton.textContent = `${t('logout')} (${user.displayName})`;
  board?.stop();
  board = null;
  page?.stop();
  page = null;
  if (user.mustChangePassword) {
    renderNav(null, null);
    renderPasswordChange(main, () => {
      if (user) user.mustChangePassword = false;
      renderApp();
    });
    return;
  }
  const route = parseRoute(location.hash, user.role);
  renderNav(user, route);
  page = pageFor(route, main, user.role);
  if (page) {
    $('connection').hidden = true;
    $('sound').hidden = true;
    page.start();
  } else if (user.role === 'citizen' || user.role === 'relative') {
    void new CitizenPage(main, user).start();
  } else if (['staff', 'admin', 'technician'].includes(user.role)) {
    renderStaff(route.name === 'oversight' ? 'oversight' : 'board');
  } else {
    const p = document.createElement('p');
    p.className = 'panel';
    p.textContent = t('notStaff');
    main.replaceChildren(p);
  }
}

/** Staff: the alert board, or the overview (reviews due, outcome statistics); the main menu links both. */
function renderStaff(view: 'board' | 'oversight'): void {
  board?.stop();
  board = null;
  const content = document.createElement('div');
  main.replaceChildren(content);
  if (view === 'oversight') {
    $('connection').hidden = true;
    $('sound').hidden = true;
    void renderOversight(content).catch(() => {
      content.textContent = t('failed');
    });
    return;
  }
  board = new AlertBoard(
    content,
    $('connection'),
    $<HTMLButtonElement>('sound'),
    $('announcer'),
    $('platform-banner'),
    user?.teamIds ?? [],
  );
  board.start();
}

function renderLangButton(): void {
  langButton.textContent = t('otherLang');
  langButton.lang = currentLang() === 'da' ? 'en' : 'da';
  $('skip').textContent = t('skip');
}

langButton.onclick = () => {
  setLang(currentLang() === 'da' ? 'en' : 'da');
  renderLangButton();
  if (user) renderApp();
  else renderLogin();
};

window.addEventListener('hashchange', () => {
  if (user) renderApp();
});

logoutButton.onclick = async () => {
  board?.stop();
  board = null;
  page?.stop();
  page = null;
  renderNav(null, null);
  await logout().catch(() => undefined);
  user = null;
  $('connection').hidden = true;
  $('sound').hidden = true;
  renderLogin();
};

setLang(currentLang());
renderLangButton();
// back from an identity provider that refused the login: say so, then clean the address bar
const refused = new URLSearchParams(location.search).get('login') === 'refused';
const ended = new URLSearchParams(location.search).get('session') === 'ended';
if (refused || ended) history.replaceState(null, '', location.pathname);
providers = await loginProviders().catch(() => []);
user = await currentSession();
if (user) renderApp();
else renderLogin(refused ? t('loginRefused') : ended ? t('sessionEnded') : '');
