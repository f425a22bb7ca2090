import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { formatTime } from '../i18n.ts';
import { nt } from '../night-round/strings.ts';
import { responderCardSection } from '../responder-card/card-section.tsx';
import { staffConsentSection } from '../responder-card/staff-consent.tsx';
import { clockTime, testModeLine } from '../test-mode.ts';
import { AlertHistory } from './alert-history.tsx';
import { AlertsConsent, type AlertsState, alertsState } from './alerts-consent.tsx';
import {
  type DeviceStatus,
  endTestMode,
  getHome,
  type HomeSummary,
  homeDevices,
  homeReadings,
  type Period,
} from './api.ts';
import { Attorneys, type PowerOfAttorney, powersOfAttorney } from './attorneys.tsx';
import { readingsChart } from './chart.ts';
import { batteryText, StatusBadge } from './device-status.tsx';
import { Mount } from './mount.tsx';
import { PeriodPicker } from './period-picker.tsx';
import { Routine, type RuleSettings, ruleSettings } from './routine.tsx';
import { SENSOR_KINDS, tx } from './strings.ts';

/** Kinds not worth a chart: a heartbeat says only "alive", the battery level is in the device list. */
const NO_CHART = new Set(['heartbeat', 'battery']);
const REFRESH_MS = 30_000;

/**
 * One home as care staff see it: its devices (online, battery) and charts of recent readings, for
 * the categories the citizen has allowed a history of; for the others the page says why not. A
 * Preact page: the devices are keyed by device id, the charts by kind.
 */
export class HomeView {
  constructor(
    private readonly root: HTMLElement,
    private readonly homeId: string,
    /** whether this person may set the home's night-round times (the link is shown only then) */
    private readonly roundTimes = false,
  ) {}

  start(): void {
    render(<HomePage homeId={this.homeId} roundTimes={this.roundTimes} />, this.root);
  }

  stop(): void {
    render(null, this.root);
  }
}

type Loaded =
  | { state: 'loading' }
  | { state: 'failed'; notFound: boolean }
  | { state: 'shown'; home: HomeSummary; devices: DeviceStatus[] };

/** The parts below the charts, each shown only to those the server lets see it. */
interface Parts {
  routine: RuleSettings | null;
  attorneys: PowerOfAttorney[] | null;
  staffConsent: HTMLElement | null;
}

type ChartBody =
  | { is: 'chart'; node: HTMLElement }
  | { is: 'empty' }
  | { is: 'no-consent'; category: string }
  | { is: 'failed' };

function HomePage({ homeId, roundTimes }: { homeId: string; roundTimes: boolean }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  /** the responder's card section (shared with the card page); null when there is none to show */
  const [card, setCard] = useState<HTMLElement | null>(null);
  const [alerts, setAlerts] = useState<AlertsState[] | null>(null);
  const [parts, setParts] = useState<Parts | null>(null);
  /** what ending test mode from here said, until the next refresh */
  const [testNote, setTestNote] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  /** consent may change while the page is open: the alerts section and the routine's words follow */
  const refreshAlertsConsent = async () => {
    const states = await alertsState(homeId).catch(() => null);
    if (!states) return;
    setAlerts(states);
  };

  const refresh = async (gone: () => boolean) => {
    void refreshAlertsConsent();
    try {
      // the home too: its test mode may have started, or ended by itself
      const [{ home }, { devices }] = await Promise.all([getHome(homeId), homeDevices(homeId)]);
      if (gone()) return;
      setLoaded({ state: 'shown', home, devices });
      setTestNote(null);
    } catch {
      // the list shown stays; the next refresh tries again
    }
  };

  useEffect(() => {
    let stopped = false;
    const gone = () => stopped;
    let timer: ReturnType<typeof setInterval> | undefined;
    void (async () => {
      try {
        const [{ home }, { devices }] = await Promise.all([getHome(homeId), homeDevices(homeId)]);
        if (stopped) return;
        setLoaded({ state: 'shown', home, devices });
      } catch (err) {
        if (!stopped) setLoaded({ state: 'failed', notFound: err instanceof ApiError && err.status === 404 });
        return;
      }
      timer = setInterval(() => void refresh(gone), REFRESH_MS);
      // the responder's card first: with an alert on, the address and the numbers matter most
      void responderCardSection(homeId, { level: 'h3' })
        .catch(() => null)
        .then((section) => !stopped && setCard(section));
      // which alerts are on, the citizen's routine (rule settings, worded by that consent), then
      // relatives' powers of attorney (staff of the team)
      const states = await alertsState(homeId).catch(() => null);
      const [routine, attorneys, staffConsent] = await Promise.all([
        ruleSettings(homeId).catch(() => null),
        powersOfAttorney(homeId).catch(() => null),
        staffConsentSection(homeId, () => void refreshAlertsConsent()).catch(() => null),
      ]);
      if (stopped) return;
      setAlerts(states);
      setParts({ routine, attorneys, staffConsent });
    })();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [homeId]);

  useEffect(() => {
    if (loaded.state !== 'loading') heading.current?.focus();
  }, [loaded.state]);

  if (loaded.state === 'loading') return <p role="status">{tx('loading')}</p>;
  if (loaded.state === 'failed')
    return (
      <>
        <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
          {tx('homesTitle')}
        </h2>
        <p class="error" role="alert">
          {tx(loaded.notFound ? 'homeNotFound' : 'loadFailed')}
        </p>
        <p>
          <a href="#/homes">{tx('backToHomes')}</a>
        </p>
      </>
    );

  const { home, devices } = loaded;
  const line = testModeLine({
    homeLabel: home.label,
    until: home.testUntil,
    devices: devices.flatMap((d) => (d.testUntil ? [{ id: d.id, until: d.testUntil }] : [])),
  });
  /** care staff may end what a technician started: real alerts again at once */
  const endTest = async () => {
    try {
      await endTestMode(homeId);
      await refresh(() => false);
      setTestNote(tx('testModeOff'));
    } catch {
      setTestNote(tx('loadFailed'));
    }
  };
  return (
    <>
      <p class="crumb">
        <a href="#/homes">{tx('backToHomes')}</a>
        {/* a technician's page would not open: no link to it */}
        {roundTimes && (
          <>
            {' · '}
            <a href={`#/homes/${encodeURIComponent(home.id)}/tilsynsrunde`}>{nt('homeLink')}</a>
          </>
        )}
      </p>
      <h2 ref={heading} id="page-title" tabIndex={-1} class="page-heading">
        {home.label}
      </h2>
      {home.test ? <p class="badge test">{tx('testHome')}</p> : null}
      {/* a technician testing the home or some of its devices: said to care staff, in words */}
      <div class="test-mode-banner" hidden={line === null}>
        <p id="home-test-mode" role="status">
          {testNote ?? line ?? ''}
        </p>
        <button type="button" class="secondary" onClick={() => void endTest()}>
          {tx('endTestMode')}
        </button>
      </div>
      {card ? <Mount node={card} /> : <div class="card-slot" />}
      <section aria-labelledby="devices-title" class="panel-section">
        <h3 id="devices-title">{tx('devicesTitle')}</h3>
        <ul class="devices">
          {devices.length === 0 ? <li class="empty">{tx('noDevices')}</li> : null}
          {devices.map((d) => (
            <DeviceRow key={d.id} device={d} />
          ))}
        </ul>
      </section>
      <Readings homeId={homeId} devices={devices} />
      {alerts ? <AlertsConsent states={alerts} /> : null}
      {parts ? <AlertHistory homeId={homeId} /> : null}
      {parts?.routine ? <Routine homeId={homeId} initial={parts.routine} alerts={alerts} /> : null}
      {parts?.attorneys ? <Attorneys homeId={homeId} initial={parts.attorneys} /> : null}
      {parts?.staffConsent ? <Mount node={parts.staffConsent} /> : null}
    </>
  );
}

function DeviceRow({ device: d }: { device: DeviceStatus }) {
  return (
    <li class="device" data-device-id={d.id}>
      <h4>
        {d.id}
        {d.test ? <span class="badge test">{tx('testDevice')}</span> : null}
        {d.testUntil ? (
          <span class="badge test">{tx('inTestMode', { time: clockTime(d.testUntil) })}</span>
        ) : null}
      </h4>
      <dl>
        <dt>{tx('status')}</dt>
        <dd>
          <StatusBadge device={d} />
        </dd>
        <dt>{tx('lastSeen')}</dt>
        <dd>{d.lastSeen ? formatTime(d.lastSeen) : tx('never')}</dd>
        <dt>{tx('battery')}</dt>
        <dd>{batteryText(d)}</dd>
        <dt>{tx('measures')}</dt>
        <dd>{d.kinds.map((k) => tx.of('kind_', k)).join(', ')}</dd>
      </dl>
    </li>
  );
}

/** One section per kind the home's devices report, in a fixed order, for the period chosen. */
function Readings({ homeId, devices }: { homeId: string; devices: DeviceStatus[] }) {
  const [period, setPeriod] = useState<Period>({ range: '24h' });
  const [charts, setCharts] = useState<Array<{ kind: string; body: ChartBody }>>([]);
  const [busy, setBusy] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  // the kinds are those of the devices when the period was chosen (a refresh does not redraw charts)
  const latest = useRef(devices);
  latest.current = devices;
  useEffect(() => {
    let current = true;
    const kinds = SENSOR_KINDS.filter(
      (k) => !NO_CHART.has(k) && latest.current.some((d) => d.kinds.includes(k)),
    );
    setBusy(true);
    void Promise.all(
      kinds.map(async (kind): Promise<{ kind: string; body: ChartBody }> => {
        const result = await homeReadings(homeId, kind, period).catch(
          (err: unknown) => ({ ok: false, reason: 'failed', message: String(err) }) as const,
        );
        if (result.ok && result.readings.series.length > 0)
          return {
            kind,
            // drawn at the width it is shown at, so its labels keep their size on a phone
            body: {
              is: 'chart',
              node: readingsChart(result.readings, `chart-${kind}`, box.current?.clientWidth || 600),
            },
          };
        if (result.ok) return { kind, body: { is: 'empty' } };
        if (result.reason === 'no_history_consent')
          return { kind, body: { is: 'no-consent', category: result.category } };
        return { kind, body: { is: 'failed' } };
      }),
    ).then((sections) => {
      if (!current) return;
      setCharts(sections);
      setBusy(false);
    });
    return () => {
      current = false;
    };
  }, [homeId, period]);
  return (
    <section aria-labelledby="readings-title" class="panel-section">
      <h3 id="readings-title">{tx('readingsTitle')}</h3>
      <PeriodPicker onChange={setPeriod} />
      <div ref={box} class="charts" aria-busy={busy ? 'true' : undefined}>
        {charts.map(({ kind, body }) => (
          <section key={kind} class="kind-readings" aria-labelledby={`chart-${kind}-title`} data-kind={kind}>
            <h4 id={`chart-${kind}-title`}>{tx.of('kind_', kind)}</h4>
            {body.is === 'chart' ? <Mount node={body.node} /> : null}
            {body.is === 'empty' ? <p class="empty">{tx('noReadings')}</p> : null}
            {body.is === 'no-consent' ? (
              <p class="notice no-consent" data-kind={kind}>
                {tx('noHistoryConsent', { category: tx.of('category_', body.category) })}
              </p>
            ) : null}
            {body.is === 'failed' ? <p class="error">{tx('loadFailed')}</p> : null}
          </section>
        ))}
      </div>
    </section>
  );
}
