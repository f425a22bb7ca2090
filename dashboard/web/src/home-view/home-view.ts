import { ApiError } from '../api.ts';
import { formatTime } from '../i18n.ts';
import { nt } from '../night-round/strings.ts';
import { responderCardSection } from '../responder-card/card-section.tsx';
import { staffConsentSection } from '../responder-card/staff-consent.tsx';
import { clockTime, testModeLine } from '../test-mode.ts';
import { alertHistorySection } from './alert-history.ts';
import { alertsConsentSection, alertsState, routineIntro } from './alerts-consent.ts';
import {
  type DeviceStatus,
  endTestMode,
  getHome,
  type HomeSummary,
  homeDevices,
  homeReadings,
} from './api.ts';
import { attorneySection } from './attorneys.ts';
import { readingsChart } from './chart.ts';
import { el, pageHeading } from './dom.ts';
import { PeriodPicker } from './period-picker.ts';
import { routineSection } from './routine.ts';
import { SENSOR_KINDS, tx } from './strings.ts';

/** Kinds not worth a chart: a heartbeat says only "alive", the battery level is in the device list. */
const NO_CHART = new Set(['heartbeat', 'battery']);
const REFRESH_MS = 30_000;

/** A device's connectivity in words and a symbol, never by colour alone. */
export function statusBadge(d: DeviceStatus): HTMLElement {
  const symbol = d.status === 'online' ? '●' : d.status === 'offline' ? '▲' : '○';
  return el(
    'span',
    { className: `status ${d.status}` },
    el('span', { 'aria-hidden': 'true' }, `${symbol} `),
    tx.of('status_', d.status),
  );
}

export function batteryText(d: DeviceStatus): string {
  if (!d.kinds.includes('battery')) return '–';
  return d.battery ? `${Math.round(d.battery.value)} %` : tx('batteryUnknown');
}

/**
 * One home as care staff see it: its devices (online, battery) and charts of recent readings, for
 * the categories the citizen has allowed a history of; for the others the page says why not.
 */
export class HomeView {
  /** the charts' period: 24 h, 7 or 30 days, or days chosen */
  private readonly period = new PeriodPicker(() => void this.loadCharts());
  private home: HomeSummary | null = null;
  private devices: DeviceStatus[] = [];
  private readonly deviceList = el('ul', { className: 'devices' });
  private readonly charts = el('div', { className: 'charts' });
  /** a technician testing the home or some of its devices: said to care staff, in words */
  private readonly testModeText = el('p', { id: 'home-test-mode', role: 'status' });
  private readonly testModeEnd = el(
    'button',
    { type: 'button', className: 'secondary', onclick: () => void this.endTestMode() },
    tx('endTestMode'),
  );
  private readonly testMode = el(
    'div',
    { className: 'test-mode-banner', hidden: true },
    this.testModeText,
    this.testModeEnd,
  );
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly homeId: string,
  ) {}

  start(): void {
    this.root.replaceChildren(el('p', { role: 'status' }, tx('loading')));
    void this.load();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    try {
      const [{ home }, { devices }] = await Promise.all([getHome(this.homeId), homeDevices(this.homeId)]);
      if (this.stopped) return;
      this.home = home;
      this.devices = devices;
    } catch (err) {
      if (this.stopped) return;
      const notFound = err instanceof ApiError && err.status === 404;
      this.root.replaceChildren(
        pageHeading(tx('homesTitle'), 'page-title'),
        el('p', { className: 'error', role: 'alert' }, tx(notFound ? 'homeNotFound' : 'loadFailed')),
        el('p', {}, el('a', { href: '#/homes' }, tx('backToHomes'))),
      );
      return;
    }
    this.render();
    this.timer = setInterval(() => void this.refreshDevices(), REFRESH_MS);
  }

  private render(): void {
    const home = this.home!;
    const heading = pageHeading(home.label, 'page-title');
    // the responder's card first: with an alert on, the address and the numbers matter most
    const cardSlot = el('div', { className: 'card-slot' });
    void responderCardSection(home.id, { level: 'h3' })
      .catch(() => null)
      .then((section) => {
        if (section && !this.stopped) cardSlot.replaceWith(section);
      });
    this.root.replaceChildren(
      el(
        'p',
        { className: 'crumb' },
        el('a', { href: '#/homes' }, tx('backToHomes')),
        ' · ',
        el('a', { href: `#/homes/${encodeURIComponent(home.id)}/tilsynsrunde` }, nt('homeLink')),
      ),
      heading,
      ...(home.test ? [el('p', { className: 'badge test' }, tx('testHome'))] : []),
      this.testMode,
      cardSlot,
      el(
        'section',
        { 'aria-labelledby': 'devices-title', className: 'panel-section' },
        el('h3', { id: 'devices-title' }, tx('devicesTitle')),
        this.deviceList,
      ),
      el(
        'section',
        { 'aria-labelledby': 'readings-title', className: 'panel-section' },
        el('h3', { id: 'readings-title' }, tx('readingsTitle')),
        this.period.element,
        this.charts,
      ),
    );
    this.renderDevices();
    heading.focus();
    void this.loadCharts();
    // which alerts are on, the citizen's routine (rule settings, worded by that consent), then
    // relatives' powers of attorney (staff of the team)
    void alertsState(home.id)
      .catch(() => null)
      .then((alerts) =>
        Promise.all([
          alerts ? alertsConsentSection(alerts) : null,
          alertHistorySection(home.id).catch(() => null),
          routineSection(home.id, alerts).catch(() => null),
          attorneySection(home.id).catch(() => null),
          staffConsentSection(home.id, () => void this.refreshAlertsConsent()).catch(() => null),
        ]),
      )
      .then((sections) => {
        for (const section of sections) if (section && !this.stopped) this.root.append(section);
      });
  }

  private renderTestMode(): void {
    const home = this.home!;
    const line = testModeLine({
      homeLabel: home.label,
      until: home.testUntil,
      devices: this.devices.flatMap((d) => (d.testUntil ? [{ id: d.id, until: d.testUntil }] : [])),
    });
    this.testMode.hidden = line === null;
    this.testModeText.textContent = line ?? '';
  }

  /** care staff may end what a technician started: real alerts again at once */
  private async endTestMode(): Promise<void> {
    try {
      await endTestMode(this.homeId);
      await this.refreshDevices();
      this.testModeText.textContent = tx('testModeOff');
    } catch {
      this.testModeText.textContent = tx('loadFailed');
    }
  }

  private renderDevices(): void {
    this.renderTestMode();
    if (this.devices.length === 0) {
      this.deviceList.replaceChildren(el('li', { className: 'empty' }, tx('noDevices')));
      return;
    }
    this.deviceList.replaceChildren(
      ...this.devices.map((d) =>
        el(
          'li',
          { className: 'device', 'data-device-id': d.id },
          el(
            'h4',
            {},
            d.id,
            d.test ? el('span', { className: 'badge test' }, tx('testDevice')) : null,
            d.testUntil
              ? el('span', { className: 'badge test' }, tx('inTestMode', { time: clockTime(d.testUntil) }))
              : null,
          ),
          el(
            'dl',
            {},
            el('dt', {}, tx('status')),
            el('dd', {}, statusBadge(d)),
            el('dt', {}, tx('lastSeen')),
            el('dd', {}, d.lastSeen ? formatTime(d.lastSeen) : tx('never')),
            el('dt', {}, tx('battery')),
            el('dd', {}, batteryText(d)),
            el('dt', {}, tx('measures')),
            el('dd', {}, d.kinds.map((k) => tx.of('kind_', k)).join(', ')),
          ),
        ),
      ),
    );
  }

  /** consent may change while the page is open: the alerts section and the routine's words follow */
  private async refreshAlertsConsent(): Promise<void> {
    const alerts = await alertsState(this.homeId).catch(() => null);
    if (!alerts || this.stopped) return;
    this.root.querySelector('.alerts-consent')?.replaceWith(alertsConsentSection(alerts));
    const intro = this.root.querySelector('.routine-intro');
    if (intro) intro.textContent = routineIntro(alerts);
  }

  private async refreshDevices(): Promise<void> {
    void this.refreshAlertsConsent();
    try {
      // the home too: its test mode may have started, or ended by itself
      const [{ home }, { devices }] = await Promise.all([getHome(this.homeId), homeDevices(this.homeId)]);
      if (this.stopped) return;
      this.home = home;
      this.devices = devices;
      this.renderDevices();
    } catch {
      // the list shown stays; the next refresh tries again
    }
  }

  /** One section per kind the home's devices report, in a fixed order. */
  private async loadCharts(): Promise<void> {
    const kinds = SENSOR_KINDS.filter(
      (k) => !NO_CHART.has(k) && this.devices.some((d) => d.kinds.includes(k)),
    );
    const period = this.period.value;
    this.charts.setAttribute('aria-busy', 'true');
    const sections = await Promise.all(
      kinds.map(async (kind) => {
        const titleId = `chart-${kind}-title`;
        const result = await homeReadings(this.homeId, kind, period).catch(
          (err: unknown) => ({ ok: false, reason: 'failed', message: String(err) }) as const,
        );
        let body: HTMLElement;
        if (result.ok && result.readings.series.length > 0)
          body = readingsChart(result.readings, `chart-${kind}`, this.charts.clientWidth || 600);
        else if (result.ok) body = el('p', { className: 'empty' }, tx('noReadings'));
        else if (result.reason === 'no_history_consent')
          body = el(
            'p',
            { className: 'notice no-consent', 'data-kind': kind },
            tx('noHistoryConsent', { category: tx.of('category_', result.category) }),
          );
        else body = el('p', { className: 'error' }, tx('loadFailed'));
        return el(
          'section',
          { className: 'kind-readings', 'aria-labelledby': titleId, 'data-kind': kind },
          el('h4', { id: titleId }, tx.of('kind_', kind)),
          body,
        );
      }),
    );
    if (this.stopped || period !== this.period.value) return;
    this.charts.replaceChildren(...sections);
    this.charts.removeAttribute('aria-busy');
  }
}
