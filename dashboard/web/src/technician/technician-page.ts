import type { Alert } from '../api.ts';
import { errorText } from '../errors.ts';
import {
  clearTestAlert,
  type HomeSummary,
  homeDevices,
  listHomes,
  setHomeTest,
  type TestAlert,
  technicianAlerts,
} from '../home-view/api.ts';
import { el, pageHeading } from '../home-view/dom.ts';
import { tx } from '../home-view/strings.ts';
import { formatTime, t } from '../i18n.ts';
import { LiveFeed } from '../live.ts';
import { clockTime } from '../test-mode.ts';
import { attentionList } from './attention-list.tsx';
import { bulkProvisionForm } from './bulk-provision.ts';
import { DeviceCard } from './device-card.ts';
import { pairingPanel } from './pairing-panel.ts';
import { provisionForm } from './provision-form.ts';
import { secretPanel } from './secret-panel.ts';

/** Device connectivity is re-read this often; test alerts come live over /live. */
const REFRESH_MS = 5000;
const SHOWN_HOMES = 200;

/**
 * The technician's page: choose a home, see its devices online or not, provision one (secret shown
 * once), rotate a secret, send test readings, mark the home or a device as test, and clear the
 * home's test alerts, which never reach care staff.
 */
export class TechnicianPage {
  private homes: HomeSummary[] = [];
  private home: HomeSummary | null = null;
  private cards = new Map<string, DeviceCard>();
  private testAlerts = new Map<string, TestAlert>();
  private readonly picker = el('select', { id: 'tech-home' });
  private readonly panel = el('div', { className: 'tech-home' });
  private readonly deviceList = el('ul', { className: 'devices' });
  private readonly alertList = el('ul', { className: 'test-alerts' });
  private readonly secretSlot = el('div');
  private readonly status = el('p', { className: 'status-line', role: 'status' });
  private readonly feed: LiveFeed;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** the home has a gateway device (pairing again re-keys it) */
  private gatewayPaired = false;
  private pairing: ReturnType<typeof pairingPanel> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly initialHomeId: string | null,
  ) {
    this.feed = new LiveFeed({
      onHello: (_seq, resumed) => {
        if (!resumed) void this.loadTestAlerts();
      },
      onAlert: (_event, alert) => this.applyAlert(alert as Alert & TestAlert),
      onConnection: () => undefined,
      // the board shows the platform's state; this page re-reads devices on its own
      onPlatform: () => undefined,
    });
  }

  start(): void {
    const filter = el('input', { id: 'tech-home-filter', type: 'search', autocomplete: 'off' });
    // the server searches (thousands of homes); wait for a pause in typing
    let typing: ReturnType<typeof setTimeout> | undefined;
    filter.oninput = () => {
      clearTimeout(typing);
      typing = setTimeout(() => void this.search(filter.value), 250);
    };
    this.picker.onchange = () => this.choose(this.picker.value);
    const heading = pageHeading(tx('techTitle'), 'page-title');
    this.attention = attentionList((homeId) => void this.openHome(homeId));
    this.root.replaceChildren(
      heading,
      el('p', {}, tx('techIntro')),
      this.attention.element,
      el(
        'div',
        { className: 'home-picker' },
        el('label', { htmlFor: filter.id }, tx('filterHomes')),
        filter,
        el('label', { htmlFor: this.picker.id }, tx('chooseHome')),
        this.picker,
      ),
      this.status,
      this.panel,
      el(
        'section',
        { className: 'panel-section' },
        bulkProvisionForm(() => {
          this.attention?.refresh();
          void this.refreshDevices();
        }),
      ),
    );
    heading.focus();
    this.attention.refresh();
    void this.search('').then(() => {
      const first = this.initialHomeId ?? this.homes[0]?.id;
      if (first && !this.stopped) this.choose(first);
    });
    this.feed.start();
    this.timer = setInterval(() => void this.refreshDevices(), REFRESH_MS);
  }

  stop(): void {
    this.stopped = true;
    this.feed.stop();
    if (this.timer) clearInterval(this.timer);
  }

  private searches = 0;
  private attention: ReturnType<typeof attentionList> | null = null;

  /** from the overview: the home may not be among the ones listed, so it is looked up first */
  private async openHome(homeId: string): Promise<void> {
    if (!this.homes.some((h) => h.id === homeId)) await this.search(homeId);
    this.choose(homeId);
    document.getElementById('tech-home-title')?.setAttribute('tabindex', '-1');
    document.getElementById('tech-home-title')?.focus();
  }

  private async search(query: string): Promise<void> {
    const asked = ++this.searches;
    try {
      const { homes } = await listHomes(query.trim(), SHOWN_HOMES);
      if (this.stopped || asked !== this.searches) return;
      this.homes = homes;
      this.fillPicker('');
    } catch {
      this.say(tx('loadFailed'), true);
    }
  }

  private fillPicker(query: string): void {
    const q = query.trim().toLowerCase();
    const matches = this.homes
      .filter((h) => !q || h.label.toLowerCase().includes(q) || h.id.includes(q))
      .slice(0, SHOWN_HOMES);
    this.picker.replaceChildren(
      ...matches.map((h) =>
        el(
          'option',
          { value: h.id, selected: h.id === this.home?.id },
          `${h.label}${h.test ? ` – ${tx('testHome')}` : ''}`,
        ),
      ),
    );
  }

  private choose(homeId: string): void {
    const home = this.homes.find((h) => h.id === homeId);
    if (!home) return;
    this.home = home;
    this.picker.value = home.id;
    // remembered in the address so a reload comes back here; no hashchange, so no re-render
    history.replaceState(null, '', `#/technician/${encodeURIComponent(home.id)}`);
    this.cards.clear();
    this.testAlerts.clear();
    this.gatewayPaired = false;
    this.secretSlot.replaceChildren();
    this.renderHome(home);
    void this.refreshDevices();
    void this.loadTestAlerts();
  }

  private renderHome(home: HomeSummary): void {
    this.deviceList.replaceChildren(el('li', { className: 'empty' }, tx('loading')));
    this.pairing = pairingPanel(home.id, {
      hasGateway: () => this.gatewayPaired,
      say: (text, error) => this.say(text, error),
      changed: () => this.refreshDevices(),
    });
    this.panel.replaceChildren(
      el(
        'section',
        { 'aria-labelledby': 'tech-home-title', className: 'panel-section' },
        el('h3', { id: 'tech-home-title' }, `${tx('home')}: ${home.label}`),
        // the id is a literal value a technician types into a bulk CSV file: shown as code, after the name
        el('p', { className: 'meta' }, `${tx('homeIdForCsv')} `, el('code', {}, home.id)),
        home.test ? el('p', {}, tx('testHomeBorn')) : this.testModeControl(home),
        el('p', {}, el('a', { href: `#/homes/${encodeURIComponent(home.id)}` }, tx('seeHome'))),
      ),
      this.secretSlot,
      this.pairing,
      el(
        'section',
        { 'aria-labelledby': 'tech-devices-title', className: 'panel-section' },
        el('h3', { id: 'tech-devices-title', tabIndex: -1 }, tx('devicesTitle')),
        this.deviceList,
      ),
      el(
        'section',
        { 'aria-labelledby': 'tech-alerts-title', className: 'panel-section' },
        el('h3', { id: 'tech-alerts-title', tabIndex: -1 }, tx('testAlertsTitle')),
        this.alertList,
      ),
      el(
        'section',
        { className: 'panel-section' },
        provisionForm(home.id, home.test, (deviceId, secret) => {
          this.say(tx('provisioned', { id: deviceId }));
          this.showSecret(deviceId, secret);
          void this.refreshDevices();
        }),
      ),
    );
    this.renderTestAlerts();
  }

  /**
   * Test mode of a citizen's home: for a number of minutes, ended by itself or by hand. The home's
   * care staff see it; critical alarms still reach them.
   */
  private testModeControl(home: HomeSummary): HTMLElement {
    const state = el('p', { id: 'home-test-state', role: 'status' });
    const minutes = el('input', {
      id: 'home-test-minutes',
      type: 'number',
      min: '1',
      max: '240',
      step: '1',
      value: '60',
      required: true,
      inputMode: 'numeric',
    });
    const end = el(
      'button',
      { type: 'button', className: 'secondary', id: 'home-test-end' },
      tx('endTestMode'),
    );
    const show = () => {
      const on = home.testUntil !== null && home.testUntil > Date.now();
      state.textContent = on ? tx('testModeOn', { time: clockTime(home.testUntil!) }) : tx('testModeOff');
      end.hidden = !on;
    };
    const set = async (test: boolean) => {
      try {
        const res = await setHomeTest(home.id, test, test ? Number(minutes.value) : undefined);
        home.testUntil = res.home.testUntil;
        show();
        this.say(tx('saved'));
      } catch (err) {
        this.say(`${tx('failed')}: ${errorText(err)}`, true);
      }
    };
    const form = el(
      'form',
      { className: 'inline-form', 'aria-labelledby': 'home-test-title' },
      el('label', { htmlFor: minutes.id }, tx('testModeMinutes')),
      minutes,
      el('button', { type: 'submit' }, tx('startTestMode')),
    );
    form.onsubmit = (e) => {
      e.preventDefault();
      void set(true);
    };
    end.onclick = () => void set(false);
    show();
    return el(
      'div',
      { className: 'test-mode-control' },
      el('h4', { id: 'home-test-title' }, tx('testModeTitle')),
      el('p', { className: 'hint' }, tx('testModeIntro')),
      state,
      form,
      end,
    );
  }

  private showSecret(deviceId: string, secret: string): void {
    this.secretSlot.replaceChildren(
      secretPanel(this.home?.id ?? '', deviceId, secret, () =>
        document.getElementById('tech-devices-title')?.focus(),
      ),
    );
  }

  private async refreshDevices(): Promise<void> {
    const home = this.home;
    if (!home) return;
    try {
      const { devices } = await homeDevices(home.id);
      if (this.stopped || this.home !== home) return;
      this.gatewayPaired = devices.some((d) => d.role === 'gateway');
      this.pairing?.refreshPairing();
      const same = devices.length === this.cards.size && devices.every((d) => this.cards.has(d.id));
      if (same) {
        for (const d of devices) this.cards.get(d.id)?.update(d);
        return;
      }
      // the set of devices changed (one was provisioned): new cards, the old ones' state is kept
      const next = new Map<string, DeviceCard>();
      for (const d of devices) {
        const card =
          this.cards.get(d.id) ??
          new DeviceCard(d, home.id, {
            secret: (id, secret) => this.showSecret(id, secret),
            testSent: () => setTimeout(() => void this.loadTestAlerts(), 500),
          });
        card.update(d);
        next.set(d.id, card);
      }
      this.cards = next;
      this.deviceList.replaceChildren(
        ...(devices.length
          ? [...next.values()].map((c) => c.element)
          : [el('li', { className: 'empty' }, tx('noDevices'))]),
      );
    } catch {
      // shown as it was; the next refresh tries again
    }
  }

  private async loadTestAlerts(): Promise<void> {
    const home = this.home;
    if (!home) return;
    try {
      const { alerts } = await technicianAlerts();
      if (this.stopped || this.home !== home) return;
      this.testAlerts = new Map(alerts.filter((a) => a.test && a.homeId === home.id).map((a) => [a.id, a]));
      this.renderTestAlerts();
    } catch {
      // the live feed or the next test reading brings them
    }
  }

  private applyAlert(alert: TestAlert): void {
    if (!this.home || alert.homeId !== this.home.id || !alert.test) return;
    if (alert.state === 'resolved') this.testAlerts.delete(alert.id);
    else this.testAlerts.set(alert.id, alert);
    this.renderTestAlerts();
  }

  private renderTestAlerts(): void {
    const alerts = [...this.testAlerts.values()].sort((a, b) => b.openedAt - a.openedAt);
    if (alerts.length === 0) {
      this.alertList.replaceChildren(el('li', { className: 'empty' }, tx('noTestAlerts')));
      return;
    }
    this.alertList.replaceChildren(
      ...alerts.map((a) =>
        el(
          'li',
          { className: 'test-alert', 'data-alert-id': a.id, 'data-rule': a.rule },
          el('span', { className: 'badge test', 'data-test-mark': '' }, 'Test'),
          ' ',
          el('span', {}, `${t.of('rule_', a.rule)} · ${tx('opened')} ${formatTime(a.openedAt)}`),
          el(
            'button',
            {
              type: 'button',
              className: 'secondary',
              'aria-label': `${tx('clear')}: ${t.of('rule_', a.rule)}`,
              onclick: async () => {
                try {
                  await clearTestAlert(a.id);
                  this.testAlerts.delete(a.id);
                  this.renderTestAlerts();
                  this.say(tx('cleared'));
                  document.getElementById('tech-alerts-title')?.focus();
                } catch (err) {
                  this.say(`${tx('failed')}: ${errorText(err)}`, true);
                }
              },
            },
            tx('clear'),
          ),
        ),
      ),
    );
  }

  private say(text: string, error = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }
}
