import { ApiError, type User } from '../api.ts';
import { responderCardSection } from '../responder-card/card-section.tsx';
import { rt } from '../responder-card/strings.ts';
import * as api from './api.ts';
import { type ConsentChange, consentSection } from './consent-section.ts';
import { confirmInline, el, section } from './dom.ts';
import { accessSection, alertsSection, erasureList, historySection } from './records.ts';
import { ct, local, sinceText } from './strings.ts';

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The citizen's page, and a relative's for the citizen they hold a power of attorney for: what is
 * measured and why, consent, alerts, who looked, export and erasure. A relative with several
 * powers of attorney first chooses the citizen.
 */
export class CitizenPage {
  private homeId: string | null = null;
  private homes: api.HomeSummary[] = [];
  private readonly status = el('p', {
    className: 'status',
    role: 'status',
    id: 'citizen-status',
    tabIndex: -1,
  });

  constructor(
    private readonly root: HTMLElement,
    private readonly user: User,
  ) {}

  async start(): Promise<void> {
    if (this.user.role === 'citizen') {
      this.homeId = this.user.homeId;
    } else {
      this.homes = (await api.myHomes()).homes;
      if (this.homes.length === 1) this.homeId = this.homes[0]!.id;
    }
    await this.render();
  }

  /** re-renders in the current language, keeping the chosen citizen */
  async render(message = ''): Promise<void> {
    this.status.textContent = message;
    if (!this.homeId) {
      this.renderChooser();
      return;
    }
    this.root.replaceChildren(el('p', { className: 'muted' }, ct('loading')));
    try {
      const id = this.homeId;
      const [o, alerts, access, erasures] = await Promise.all([
        api.overview(id),
        api.homeAlerts(id),
        api.accessLog(id),
        api.erasures(id),
      ]);
      this.renderHome(o, alerts.alerts, access.entries, erasures.requests);
    } catch {
      this.root.replaceChildren(el('p', { className: 'error', role: 'alert' }, ct('loadFailed')));
    }
  }

  private renderChooser(): void {
    const buttons = this.homes.map((h) =>
      el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            className: 'choice',
            onclick: () => {
              this.homeId = h.id;
              void this.render();
            },
          },
          h.label,
        ),
      ),
    );
    this.root.replaceChildren(
      el(
        'div',
        { className: 'panel citizen' },
        el('h2', {}, ct('chooseCitizen')),
        this.homes.length === 0
          ? el('p', {}, ct('noCitizens'))
          : el('div', {}, el('p', {}, ct('chooseIntro')), el('ul', { className: 'choices' }, ...buttons)),
      ),
    );
  }

  private renderHome(
    o: api.Overview,
    alerts: api.CitizenAlert[],
    access: api.AccessEntry[],
    erasures: api.ErasureRequest[],
  ): void {
    const role = this.user.role;
    const titles = Object.fromEntries(o.categories.map((c) => [c.category, local(c.text.title)]));
    const intro =
      role === 'relative'
        ? el('p', { className: 'lead' }, ct('relativeIntro', { name: o.home.label }))
        : el('p', { className: 'lead' }, ct('citizenIntro'));
    const switcher =
      this.homes.length > 1
        ? el(
            'button',
            {
              type: 'button',
              className: 'secondary',
              onclick: () => {
                this.homeId = null;
                void this.render();
              },
            },
            ct('switchCitizen'),
          )
        : null;
    this.root.replaceChildren(
      el(
        'div',
        { className: 'citizen' },
        el('h2', { className: 'page-title' }, role === 'relative' ? o.home.label : ct('yourHome')),
        intro,
        switcher,
        this.status,
        consentSection(o, (changes, what) => this.change(changes, what)),
        this.cardSlot(o.home.id),
        alertsSection(alerts),
        historySection(o.consentHistory, role, titles),
        accessSection(access, role),
        this.exportSection(o.home.id),
        this.erasureSection(o.home.id, erasures),
      ),
    );
  }

  private async change(changes: ConsentChange[], what: string): Promise<void> {
    const id = this.homeId!;
    try {
      let at = 0;
      for (const change of changes) at = (await api.changeConsent(id, change)).event.at;
      const one = changes.length === 1 && what !== '' ? changes[0]! : null;
      let message: string;
      if (!one) message = ct('savedAll');
      else if (one.purpose === 'alerts')
        // what stops (or starts), from when, and how to undo it, in so many words
        message = ct(one.action === 'grant' ? 'savedGrantAlerts' : 'savedWithdrawAlerts', {
          what: capitalise(what),
          since: sinceText(at),
          when: ct.of('alertsWhen_', one.category),
        });
      else message = ct(one.action === 'grant' ? 'savedGrant' : 'savedWithdraw', { what });
      await this.render(message);
    } catch (err) {
      // 409: the information text changed after the page showed it. Nothing was saved; the page
      // loads again with the current text, and the person decides on that one.
      await this.render(ct(err instanceof ApiError && err.status === 409 ? 'textChanged' : 'saveFailed'));
    }
    // keep the keyboard where the person was
    const focus =
      changes.length === 1
        ? document.getElementById(`consent-${changes[0]!.category}-${changes[0]!.purpose}`)
        : null;
    (focus ?? this.status).focus?.();
  }

  /** the responder's card, filled in when it has loaded (issue 11 point 1) */
  private cardSlot(id: string): HTMLElement {
    const slot = el('div', { className: 'card-slot' });
    void responderCardSection(id, { level: 'h2', citizen: this.user.role === 'citizen' })
      .catch(() => null)
      .then((card) => {
        if (card) slot.replaceWith(card);
      });
    return slot;
  }

  private exportSection(id: string): HTMLElement {
    const link = (format: 'json' | 'csv', label: string) =>
      el('a', { className: 'button-link', href: api.exportUrl(id, format), download: '' }, label);
    return section(
      'export',
      ct('exportTitle'),
      el('p', {}, ct('exportIntro')),
      el('div', { className: 'actions' }, link('json', ct('exportJson')), link('csv', ct('exportCsv'))),
    );
  }

  private erasureSection(id: string, requests: api.ErasureRequest[]): HTMLElement {
    const host = el('div', { className: 'actions' });
    const button = el('button', { type: 'button', className: 'danger', id: 'erase' }, ct('erase'));
    button.onclick = () =>
      confirmInline(host, ct('eraseConfirm'), ct('eraseYes'), ct('cancel'), () => {
        void api
          .requestErasure(id)
          .then(() => this.render(ct('erasureDone')))
          .catch(() => this.render(ct('eraseFailed')));
      });
    host.append(button);
    return section(
      'erasure',
      ct('erasureTitle'),
      el('p', {}, ct('erasureIntro')),
      el('p', {}, ct('erasureNote')),
      el('p', {}, rt('erasureCard')),
      host,
      erasureList(requests, this.user.role),
    );
  }
}
