import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../errors.ts';
import { type DeviceStatus, rotateSecret, sendTestReading, updateDevice } from '../home-view/api.ts';
import { batteryText, StatusBadge } from '../home-view/device-status.tsx';
import { formatValue, SENSOR_KINDS, tx } from '../home-view/strings.ts';
import { formatTime, t } from '../i18n.ts';
import { clockTime } from '../test-mode.ts';
import { Feedback, useFeedback } from './feedback.tsx';

export interface DeviceCardHandlers {
  /** a new secret to show once */
  secret(deviceId: string, secret: string): void;
  /** a test reading went in: alerts may follow */
  testSent(): void;
}

/** How long a device's test mode lasts when started from its card. */
const TEST_MINUTES = 60;

/** A sensible value to start a test reading with, per kind. */
const DEFAULT_VALUE: Record<string, number> = { temperature: 21, co: 0, battery: 80 };

const startValue = (kind: string) => String(DEFAULT_VALUE[kind] ?? 1);

/**
 * One device on the technician page: connectivity that refreshes in place, its test mark and report
 * interval, a new secret, and a test reading sent through the real ingest path. The list keys cards
 * by device id, so a refresh never touches what the technician is typing or where focus is.
 */
export function DeviceCard({
  device,
  homeId,
  on,
}: {
  device: DeviceStatus;
  homeId: string;
  on: DeviceCardHandlers;
}) {
  return (
    <li class="device" data-device-id={device.id}>
      <h4>{device.id}</h4>
      <dl>
        <dt>{tx('status')}</dt>
        <dd data-field="status">
          <StatusBadge device={device} />
        </dd>
        <dt>{tx('lastSeen')}</dt>
        <dd data-field="last-seen">{device.lastSeen ? formatTime(device.lastSeen) : tx('never')}</dd>
        <dt>{tx('battery')}</dt>
        <dd data-field="battery">{batteryText(device)}</dd>
        <dt>{tx('measures')}</dt>
        <dd>{device.kinds.map((k) => tx.of('kind_', k)).join(', ')}</dd>
        <dt>{tx('role')}</dt>
        <dd>{tx.of('role_', device.role)}</dd>
      </dl>
      <TestToggle device={device} />
      <IntervalForm device={device} />
      <TestReadingForm device={device} testSent={on.testSent} />
      <RotateControl deviceId={device.id} homeId={homeId} secret={on.secret} />
    </li>
  );
}

/** Test mode of this device for an hour (ended by itself, or by hand); care staff see it. */
function TestToggle({ device }: { device: DeviceStatus }) {
  // what this card last saved counts until the next refresh brings the server's word
  const [saved, setSaved] = useState<{ from: DeviceStatus; testUntil: number | null } | null>(null);
  const [said, say] = useFeedback();
  const until = saved && saved.from === device ? saved.testUntil : device.testUntil;
  const on = until !== null && until > Date.now();
  const click = async () => {
    try {
      const answer = await updateDevice(device.id, {
        test: !on,
        ...(!on ? { minutes: TEST_MINUTES } : {}),
      });
      setSaved({ from: device, testUntil: answer.device.testUntil });
      say(tx('saved'));
    } catch (err) {
      say(`${tx('failed')}: ${errorText(err)}`, true);
    }
  };
  return (
    <div class="actions">
      <button
        type="button"
        class="secondary"
        id={`device-test-${device.id}`}
        data-on={String(on)}
        onClick={() => void click()}
      >
        {on ? tx('endTestMode') : tx('deviceTestMode', { minutes: TEST_MINUTES })}
      </button>{' '}
      <span data-field="test-mode">
        {on && until !== null ? tx('testModeOn', { time: clockTime(until) }) : ''}
      </span>
      <Feedback id={`device-test-feedback-${device.id}`} said={said} />
    </div>
  );
}

function IntervalForm({ device }: { device: DeviceStatus }) {
  const id = `device-interval-${device.id}`;
  const input = useRef<HTMLInputElement>(null);
  const [said, say] = useFeedback();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await updateDevice(device.id, { reportIntervalS: Number(input.current?.value) });
      say(tx('saved'));
    } catch (err) {
      say(`${tx('failed')}: ${errorText(err)}`, true);
    }
  };
  return (
    <form class="inline-form" onSubmit={(e) => void submit(e)}>
      <label for={id}>{tx('reportIntervalS')}</label>
      {/* not controlled: a refresh never overwrites what the technician is typing */}
      <input
        ref={input}
        id={id}
        type="number"
        min="10"
        max="86400"
        step="1"
        required
        inputMode="numeric"
        defaultValue={String(device.reportIntervalS)}
      />
      <button type="submit" class="secondary">
        {tx('saveInterval')}
      </button>
      <Feedback id={`device-interval-feedback-${device.id}`} said={said} />
    </form>
  );
}

function TestReadingForm({ device, testSent }: { device: DeviceStatus; testSent: () => void }) {
  const kindId = `test-kind-${device.id}`;
  const valueId = `test-value-${device.id}`;
  const [kind, setKind] = useState(device.kinds[0] ?? '');
  const [value, setValue] = useState(() => startValue(device.kinds[0] ?? ''));
  const [sending, setSending] = useState(false);
  const [said, say] = useFeedback();
  const submit = async (e: Event) => {
    e.preventDefault();
    const v = Number(value);
    setSending(true);
    say(tx('loading'));
    try {
      const chosen = SENSOR_KINDS.find((k) => k === kind);
      if (!chosen) return;
      const res = await sendTestReading(device.id, chosen, v);
      const rule = res.outcome.alert ? t.of('rule_', res.outcome.alert.rule) : '';
      say(
        [
          tx('testSent', { kind: tx.of('kind_', kind), value: formatValue(kind, v) }),
          tx.of('outcome_', res.outcome.reason, { rule }),
          tx(res.stored ? 'testStored' : 'testNotStored'),
        ].join(' '),
      );
      testSent();
    } catch (err) {
      say(`${tx('failed')}: ${errorText(err)}`, true);
    } finally {
      setSending(false);
    }
  };
  return (
    <form class="inline-form test-reading" onSubmit={(e) => void submit(e)}>
      <label for={kindId}>{tx('testKind')}</label>
      <select
        id={kindId}
        value={kind}
        onChange={(e) => {
          const chosen = e.currentTarget.value;
          setKind(chosen);
          setValue(startValue(chosen));
        }}
      >
        {device.kinds.map((k) => (
          <option key={k} value={k}>
            {tx.of('kind_', k)}
          </option>
        ))}
      </select>
      <label for={valueId}>{tx('testValue')}</label>
      <input
        id={valueId}
        type="number"
        step="any"
        required
        inputMode="decimal"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit" disabled={sending}>
        {tx('sendTest')}
      </button>
      <Feedback id={`test-feedback-${device.id}`} said={said} />
    </form>
  );
}

/** A new secret for the device, after a yes/no in place of the button (focus moved to "no"). */
function RotateControl({
  deviceId,
  homeId,
  secret,
}: {
  deviceId: string;
  homeId: string;
  secret: (deviceId: string, secret: string) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [said, say] = useFeedback();
  const ask = useRef<HTMLButtonElement>(null);
  const no = useRef<HTMLButtonElement>(null);
  /** "no" puts focus back on the button that asked; "yes" leaves it to the secret panel */
  const backToAsk = useRef(false);
  useEffect(() => {
    if (asking) no.current?.focus();
    else if (backToAsk.current) {
      backToAsk.current = false;
      ask.current?.focus();
    }
  }, [asking]);
  const yes = async () => {
    setAsking(false);
    try {
      const answer = await rotateSecret(homeId, deviceId);
      secret(deviceId, answer.secret);
    } catch (err) {
      say(`${tx('failed')}: ${errorText(err)}`, true);
    }
  };
  return (
    <div>
      <div class="actions">
        {asking ? (
          // biome-ignore lint/a11y/useSemanticElements: a yes/no question in place of its button, not a form's fieldset
          <div role="group" aria-label={tx('rotateSecret')}>
            <p>{tx('rotateConfirm')}</p>
            <button type="button" class="danger" onClick={() => void yes()}>
              {tx('yes')}
            </button>
            <button
              ref={no}
              type="button"
              class="secondary"
              onClick={() => {
                backToAsk.current = true;
                setAsking(false);
              }}
            >
              {tx('cancel')}
            </button>
          </div>
        ) : (
          <button ref={ask} type="button" class="secondary" onClick={() => setAsking(true)}>
            {tx('rotateSecret')}
          </button>
        )}
      </div>
      <Feedback id={`rotate-feedback-${deviceId}`} said={said} />
    </div>
  );
}
