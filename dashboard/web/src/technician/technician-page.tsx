import { batch, signal } from '@preact/signals';
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Alert } from '../api.ts';
import { errorText } from '../errors.ts';
import {
  clearTestAlert,
  type DeviceStatus,
  type HomeSummary,
  homeDevices,
  listHomes,
  setHomeTest,
  type TestAlert,
  technicianAlerts,
} from '../home-view/api.ts';
import { tx } from '../home-view/strings.ts';
import { formatTime, t } from '../i18n.ts';
import { LiveFeed } from '../live.ts';
import { clockTime } from '../test-mode.ts';
import { AttentionList } from './attention-list.tsx';
import { BulkProvisionForm } from './bulk-provision.tsx';
import { DeviceCard, type DeviceCardHandlers } from './device-card.tsx';
import type { Said } from './feedback.tsx';
import { PairingPanel } from './pairing-panel.tsx';
import { ProvisionForm } from './provision-form.tsx';
import { SecretPanel } from './secret-panel.tsx';

/** Device connectivity is re-read this often; test alerts come live over /live. */
const REFRESH_MS = 5000;
const SHOWN_HOMES = 200;

/** Moves focus once the change just made is drawn (Preact draws in a microtask). */
const focusSoon = (id: string) => setTimeout(() => document.getElementById(id)?.focus(), 0);

/**
 * The technician's page: choose a home, see its devices online or not, provision one (secret shown
 * once), rotate a secret, send test readings, mark the home or a device as test, and clear the
 * home's test alerts, which never reach care staff. The page's state lives in signals; the device
 * cards and test alerts are keyed lists, so a refresh or a live alert leaves every other row (and
 * what is typed or focused in it) as it was.
 */
export class TechnicianPage {
  readonly homes = signal<HomeSummary[]>([]);
  readonly home = signal<HomeSummary | null>(null);
  /** null while the chosen home's devices are being read */
  readonly devices = signal<DeviceStatus[] | null>(null);
  readonly testAlerts = signal<ReadonlyMap<string, TestAlert>>(new Map());
  /** a device secret shown this once */
  readonly secret = signal<{ deviceId: string; secret: string } | null>(null);
  readonly status = signal<Said>({ text: '', error: false });
  /** raised to read the overview of devices needing a visit again */
  readonly attentionVersion = signal(0);
  private readonly feed: LiveFeed;
  private timer: ReturnType<typeof setInterval> | undefined;
  private typing: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private searches = 0;
  readonly cardHandlers: DeviceCardHandlers = {
    secret: (deviceId, secret) => {
      this.secret.value = { deviceId, secret };
    },
    testSent: () => setTimeout(() => void this.loadTestAlerts(), 500),
  };

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
    render(<Technician page={this} />, this.root);
    void this.search('').then(() => {
      const first = this.initialHomeId ?? this.homes.value[0]?.id;
      if (first && !this.stopped) this.choose(first);
    });
    this.feed.start();
    this.timer = setInterval(() => void this.refreshDevices(), REFRESH_MS);
  }

  stop(): void {
    this.stopped = true;
    this.feed.stop();
    clearInterval(this.timer);
    clearTimeout(this.typing);
    render(null, this.root);
  }

  say = (text: string, error = false): void => {
    this.status.value = { text, error };
  };

  /** the server searches (thousands of homes); wait for a pause in typing */
  typed(query: string): void {
    clearTimeout(this.typing);
    this.typing = setTimeout(() => void this.search(query), 250);
  }

  /** from the overview: the home may not be among the ones listed, so it is looked up first */
  openHome = async (homeId: string): Promise<void> => {
    if (!this.homes.value.some((h) => h.id === homeId)) await this.search(homeId);
    this.choose(homeId);
    focusSoon('tech-home-title');
  };

  private async search(query: string): Promise<void> {
    const asked = ++this.searches;
    try {
      const { homes } = await listHomes(query.trim(), SHOWN_HOMES);
      if (this.stopped || asked !== this.searches) return;
      this.homes.value = homes;
    } catch {
      this.say(tx('loadFailed'), true);
    }
  }

  choose(homeId: string): void {
    const home = this.homes.value.find((h) => h.id === homeId);
    if (!home) return;
    // remembered in the address so a reload comes back here; no hashchange, so no re-render
    history.replaceState(null, '', `#/technician/${encodeURIComponent(home.id)}`);
    batch(() => {
      this.home.value = home;
      this.devices.value = null;
      this.testAlerts.value = new Map();
      this.secret.value = null;
    });
    void this.refreshDevices();
    void this.loadTestAlerts();
  }

  /** the home's test mode as the server now has it */
  testModeSet(homeId: string, testUntil: number | null): void {
    const home = this.home.value;
    if (home?.id === homeId) this.home.value = { ...home, testUntil };
    this.homes.value = this.homes.value.map((h) => (h.id === homeId ? { ...h, testUntil } : h));
  }

  /** devices changed in bulk: the overview and this home's list are read again */
  devicesAdded = (): void => {
    this.attentionVersion.value++;
    void this.refreshDevices();
  };

  refreshDevices = async (): Promise<void> => {
    const home = this.home.value;
    if (!home) return;
    try {
      const { devices } = await homeDevices(home.id);
      if (this.stopped || this.home.value?.id !== home.id) return;
      this.devices.value = devices;
    } catch {
      // shown as it was; the next refresh tries again
    }
  };

  private async loadTestAlerts(): Promise<void> {
    const home = this.home.value;
    if (!home) return;
    try {
      const { alerts } = await technicianAlerts();
      if (this.stopped || this.home.value?.id !== home.id) return;
      this.testAlerts.value = new Map(
        alerts.filter((a) => a.test && a.homeId === home.id).map((a) => [a.id, a]),
      );
    } catch {
      // the live feed or the next test reading brings them
    }
  }

  private applyAlert(alert: TestAlert): void {
    if (alert.homeId !== this.home.value?.id || !alert.test) return;
    const next = new Map(this.testAlerts.value);
    if (alert.state === 'resolved') next.delete(alert.id);
    else next.set(alert.id, alert);
    this.testAlerts.value = next;
  }

  async clearAlert(alert: TestAlert): Promise<void> {
    try {
      await clearTestAlert(alert.id);
      const next = new Map(this.testAlerts.value);
      next.delete(alert.id);
      this.testAlerts.value = next;
      this.say(tx('cleared'));
      document.getElementById('tech-alerts-title')?.focus();
    } catch (err) {
      this.say(`${tx('failed')}: ${errorText(err)}`, true);
    }
  }
}

function Technician({ page }: { page: TechnicianPage }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const home = page.home.value;
  const status = page.status.value;
  return (
    <>
      <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
        {tx('techTitle')}
      </h2>
      <p>{tx('techIntro')}</p>
      <AttentionList open={(homeId) => void page.openHome(homeId)} version={page.attentionVersion.value} />
      <HomePicker page={page} />
      <p class={status.error ? 'status-line error' : 'status-line'} role="status">
        {status.text}
      </p>
      <div class="tech-home">{home ? <HomePanel key={home.id} page={page} home={home} /> : null}</div>
      <section class="panel-section">
        <BulkProvisionForm onDone={page.devicesAdded} />
      </section>
    </>
  );
}

function HomePicker({ page }: { page: TechnicianPage }) {
  const chosen = page.home.value?.id ?? '';
  return (
    <div class="home-picker">
      <label for="tech-home-filter">{tx('filterHomes')}</label>
      <input
        id="tech-home-filter"
        type="search"
        autocomplete="off"
        onInput={(e) => page.typed(e.currentTarget.value)}
      />
      <label for="tech-home">{tx('chooseHome')}</label>
      <select id="tech-home" value={chosen} onChange={(e) => page.choose(e.currentTarget.value)}>
        {page.homes.value.map((h) => (
          <option key={h.id} value={h.id}>
            {`${h.label}${h.test ? ` – ${tx('testHome')}` : ''}`}
          </option>
        ))}
      </select>
    </div>
  );
}

function HomePanel({ page, home }: { page: TechnicianPage; home: HomeSummary }) {
  const devices = page.devices.value;
  const secret = page.secret.value;
  return (
    <>
      <section aria-labelledby="tech-home-title" class="panel-section">
        <h3 id="tech-home-title" tabIndex={-1}>{`${tx('home')}: ${home.label}`}</h3>
        {/* the id is a literal value a technician types into a bulk CSV file: shown as code, after the name */}
        <p class="meta">
          {`${tx('homeIdForCsv')} `}
          <code>{home.id}</code>
        </p>
        {home.test ? <p>{tx('testHomeBorn')}</p> : <TestModeControl page={page} home={home} />}
        <p>
          <a href={`#/homes/${encodeURIComponent(home.id)}`}>{tx('seeHome')}</a>
        </p>
      </section>
      <div>
        {secret ? (
          <SecretPanel
            homeId={home.id}
            deviceId={secret.deviceId}
            secret={secret.secret}
            onDone={() => {
              page.secret.value = null;
              focusSoon('tech-devices-title');
            }}
          />
        ) : null}
      </div>
      <PairingPanel
        homeId={home.id}
        hasGateway={devices?.some((d) => d.role === 'gateway') ?? false}
        say={page.say}
        changed={page.refreshDevices}
      />
      <section aria-labelledby="tech-devices-title" class="panel-section">
        <h3 id="tech-devices-title" tabIndex={-1}>
          {tx('devicesTitle')}
        </h3>
        <ul class="devices">
          {devices === null ? <li class="empty">{tx('loading')}</li> : null}
          {devices?.length === 0 ? <li class="empty">{tx('noDevices')}</li> : null}
          {devices?.map((d) => (
            <DeviceCard key={d.id} device={d} homeId={home.id} on={page.cardHandlers} />
          ))}
        </ul>
      </section>
      <TestAlerts page={page} />
      <section class="panel-section">
        <ProvisionForm
          homeId={home.id}
          testHome={home.test}
          onProvisioned={(deviceId, secret) => {
            page.say(tx('provisioned', { id: deviceId }));
            page.secret.value = { deviceId, secret };
            void page.refreshDevices();
          }}
        />
      </section>
    </>
  );
}

/** The home's test alerts, newest first, each cleared by hand; keyed by alert id. */
function TestAlerts({ page }: { page: TechnicianPage }) {
  const alerts = [...page.testAlerts.value.values()].sort((a, b) => b.openedAt - a.openedAt);
  return (
    <section aria-labelledby="tech-alerts-title" class="panel-section">
      <h3 id="tech-alerts-title" tabIndex={-1}>
        {tx('testAlertsTitle')}
      </h3>
      <ul class="test-alerts">
        {alerts.length === 0 ? <li class="empty">{tx('noTestAlerts')}</li> : null}
        {alerts.map((a) => (
          <li key={a.id} class="test-alert" data-alert-id={a.id} data-rule={a.rule}>
            <span class="badge test" data-test-mark="">
              Test
            </span>{' '}
            <span>{`${t.of('rule_', a.rule)} · ${tx('opened')} ${formatTime(a.openedAt)}`}</span>
            <button
              type="button"
              class="secondary"
              aria-label={`${tx('clear')}: ${t.of('rule_', a.rule)}`}
              onClick={() => void page.clearAlert(a)}
            >
              {tx('clear')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Test mode of a citizen's home: for a number of minutes, ended by itself or by hand. The home's
 * care staff see it; critical alarms still reach them.
 */
function TestModeControl({ page, home }: { page: TechnicianPage; home: HomeSummary }) {
  const minutes = useRef<HTMLInputElement>(null);
  const on = home.testUntil !== null && home.testUntil > Date.now();
  const set = async (test: boolean) => {
    try {
      const res = await setHomeTest(home.id, test, test ? Number(minutes.current?.value) : undefined);
      page.testModeSet(home.id, res.home.testUntil);
      page.say(tx('saved'));
    } catch (err) {
      page.say(`${tx('failed')}: ${errorText(err)}`, true);
    }
  };
  return (
    <div class="test-mode-control">
      <h4 id="home-test-title">{tx('testModeTitle')}</h4>
      <p class="hint">{tx('testModeIntro')}</p>
      <p id="home-test-state" role="status">
        {on && home.testUntil !== null
          ? tx('testModeOn', { time: clockTime(home.testUntil) })
          : tx('testModeOff')}
      </p>
      <form
        class="inline-form"
        aria-labelledby="home-test-title"
        onSubmit={(e) => {
          e.preventDefault();
          void set(true);
        }}
      >
        <label for="home-test-minutes">{tx('testModeMinutes')}</label>
        <input
          ref={minutes}
          id="home-test-minutes"
          type="number"
          min="1"
          max="240"
          step="1"
          defaultValue="60"
          required
          inputMode="numeric"
        />
        <button type="submit">{tx('startTestMode')}</button>
      </form>
      <button type="button" class="secondary" id="home-test-end" hidden={!on} onClick={() => void set(false)}>
        {tx('endTestMode')}
      </button>
    </div>
  );
}
