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
import { currentLang, setLang, t } from './i18n.ts';
import { renderOversight } from './oversight/page.ts';
import { ot } from './oversight/texts.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const main = $('main');
const langButton = $<HTMLButtonElement>('lang');
const logoutButton = $<HTMLButtonElement>('logout');
let board: AlertBoard | null = null;
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
  if (['staff', 'admin'].includes(user.role)) {
    renderStaff(location.hash === '#overblik' ? 'oversight' : 'board');
  } else {
    const p = document.createElement('p');
    p.className = 'panel';
    p.textContent = t('notStaff');
    main.replaceChildren(p);
  }
}

/** Staff: the alert board, or the overview (reviews due, outcome statistics), from a small menu. */
function renderStaff(view: 'board' | 'oversight'): void {
  board?.stop();
  board = null;
  const nav = document.createElement('nav');
  nav.className = 'views';
  nav.setAttribute('aria-label', ot('nav'));
  const content = document.createElement('div');
  for (const [key, label, hash] of [
    ['board', t('alerts'), '#alarmer'],
    ['oversight', ot('nav'), '#overblik'],
  ] as const) {
    const link = document.createElement('a');
    link.href = hash;
    link.textContent = label;
    if (key === view) link.setAttribute('aria-current', 'page');
    link.onclick = (e) => {
      e.preventDefault();
      history.replaceState(null, '', hash);
      renderStaff(key);
    };
    nav.append(link);
  }
  main.replaceChildren(nav, content);
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

logoutButton.onclick = async () => {
  board?.stop();
  board = null;
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
