import { errorText } from '../errors.ts';
import { type DeviceStatus, rotateSecret, sendTestReading, updateDevice } from '../home-view/api.ts';
import { el } from '../home-view/dom.ts';
import { batteryText, statusBadge } from '../home-view/home-view.ts';
import { formatValue, SENSOR_KINDS, tx } from '../home-view/strings.ts';
import { formatTime, t } from '../i18n.ts';
import { clockTime } from '../test-mode.ts';

/**
 * A status line beside the control that was used: a technician's feedback appears where they are
 * looking (a page-top line is thousands of pixels away on a long page), read out by screen readers.
 */
function feedbackLine(id: string): { element: HTMLElement; say(text: string, error?: boolean): void } {
  const element = el('p', { className: 'feedback', id, role: 'status', 'aria-live': 'polite' });
  return {
    element,
    say(text, error = false) {
      element.textContent = text;
      element.classList.toggle('error', error);
    },
  };
}

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

/**
 * One device on the technician page: connectivity that refreshes in place, its test mark and report
 * interval, a new secret, and a test reading sent through the real ingest path.
 */
export class DeviceCard {
  readonly element: HTMLLIElement;
  private readonly status = el('dd', { 'data-field': 'status' });
  private readonly lastSeen = el('dd', { 'data-field': 'last-seen' });
  private readonly battery = el('dd', { 'data-field': 'battery' });
  /** set once the test mode control exists; the constructor's first update comes before it */
  private showTestMode: () => void = () => undefined;

  constructor(
    private device: DeviceStatus,
    private readonly homeId: string,
    private readonly on: DeviceCardHandlers,
  ) {
    this.element = el(
      'li',
      { className: 'device', 'data-device-id': device.id },
      el('h4', {}, device.id),
      el(
        'dl',
        {},
        el('dt', {}, tx('status')),
        this.status,
        el('dt', {}, tx('lastSeen')),
        this.lastSeen,
        el('dt', {}, tx('battery')),
        this.battery,
        el('dt', {}, tx('measures')),
        el('dd', {}, device.kinds.map((k) => tx.of('kind_', k)).join(', ')),
        el('dt', {}, tx('role')),
        el('dd', {}, tx.of('role_', device.role)),
      ),
      this.testToggle(),
      this.intervalForm(),
      this.testReadingForm(),
      this.rotateControl(),
    );
    this.update(device);
  }

  /** new connectivity, battery and test mode, without touching what the technician is typing */
  update(device: DeviceStatus): void {
    this.device = device;
    this.showTestMode();
    this.status.replaceChildren(statusBadge(device));
    this.lastSeen.textContent = device.lastSeen ? formatTime(device.lastSeen) : tx('never');
    this.battery.textContent = batteryText(device);
  }

  /** Test mode of this device for an hour (ended by itself, or by hand); care staff see it. */
  private testToggle(): HTMLElement {
    const state = el('span', { 'data-field': 'test-mode' });
    const button = el('button', {
      type: 'button',
      className: 'secondary',
      id: `device-test-${this.device.id}`,
    });
    const feedback = feedbackLine(`device-test-feedback-${this.device.id}`);
    const show = () => {
      const until = this.device.testUntil;
      const on = until !== null && until > Date.now();
      state.textContent = on ? tx('testModeOn', { time: clockTime(until!) }) : '';
      button.textContent = on ? tx('endTestMode') : tx('deviceTestMode', { minutes: TEST_MINUTES });
      button.dataset.on = String(on);
    };
    button.onclick = async () => {
      const start = button.dataset.on !== 'true';
      try {
        const { device } = await updateDevice(this.device.id, {
          test: start,
          ...(start ? { minutes: TEST_MINUTES } : {}),
        });
        this.device = { ...this.device, testUntil: device.testUntil };
        show();
        feedback.say(tx('saved'));
      } catch (err) {
        feedback.say(`${tx('failed')}: ${errorText(err)}`, true);
      }
    };
    this.showTestMode = show;
    show();
    return el('div', { className: 'actions' }, button, ' ', state, feedback.element);
  }

  private intervalForm(): HTMLFormElement {
    const id = `device-interval-${this.device.id}`;
    const input = el('input', {
      id,
      type: 'number',
      min: '10',
      max: '86400',
      step: '1',
      required: true,
      inputMode: 'numeric',
      value: String(this.device.reportIntervalS),
    });
    const feedback = feedbackLine(`device-interval-feedback-${this.device.id}`);
    const form = el(
      'form',
      { className: 'inline-form' },
      el('label', { htmlFor: id }, tx('reportIntervalS')),
      input,
      el('button', { type: 'submit', className: 'secondary' }, tx('saveInterval')),
      feedback.element,
    );
    form.onsubmit = async (e) => {
      e.preventDefault();
      try {
        const { device } = await updateDevice(this.device.id, { reportIntervalS: Number(input.value) });
        feedback.say(tx('saved'));
        this.update({ ...this.device, reportIntervalS: device.reportIntervalS });
      } catch (err) {
        feedback.say(`${tx('failed')}: ${errorText(err)}`, true);
      }
    };
    return form;
  }

  private testReadingForm(): HTMLFormElement {
    const kindId = `test-kind-${this.device.id}`;
    const valueId = `test-value-${this.device.id}`;
    const kind = el('select', { id: kindId });
    for (const k of this.device.kinds) kind.append(el('option', { value: k }, tx.of('kind_', k)));
    const value = el('input', {
      id: valueId,
      type: 'number',
      step: 'any',
      required: true,
      inputMode: 'decimal',
    });
    const setDefault = () => {
      value.value = String(DEFAULT_VALUE[kind.value] ?? 1);
    };
    kind.onchange = setDefault;
    setDefault();
    const feedback = feedbackLine(`test-feedback-${this.device.id}`);
    const send = el('button', { type: 'submit' }, tx('sendTest'));
    const form = el(
      'form',
      { className: 'inline-form test-reading' },
      el('label', { htmlFor: kindId }, tx('testKind')),
      kind,
      el('label', { htmlFor: valueId }, tx('testValue')),
      value,
      send,
      feedback.element,
    );
    form.onsubmit = async (e) => {
      e.preventDefault();
      const v = Number(value.value);
      send.disabled = true;
      feedback.say(tx('loading'));
      try {
        const chosen = SENSOR_KINDS.find((k) => k === kind.value);
        if (!chosen) return;
        const res = await sendTestReading(this.device.id, chosen, v);
        const rule = res.outcome.alert ? t.of('rule_', res.outcome.alert.rule) : '';
        feedback.say(
          [
            tx('testSent', { kind: tx.of('kind_', kind.value), value: formatValue(kind.value, v) }),
            tx.of('outcome_', res.outcome.reason, { rule }),
            tx(res.stored ? 'testStored' : 'testNotStored'),
          ].join(' '),
        );
        this.on.testSent();
      } catch (err) {
        feedback.say(`${tx('failed')}: ${errorText(err)}`, true);
      } finally {
        send.disabled = false;
      }
    };
    return form;
  }

  private rotateControl(): HTMLElement {
    const host = el('div', { className: 'actions' });
    const feedback = feedbackLine(`rotate-feedback-${this.device.id}`);
    const ask = el('button', { type: 'button', className: 'secondary' }, tx('rotateSecret'));
    ask.onclick = () => {
      const yes = el('button', { type: 'button', className: 'danger' }, tx('yes'));
      const no = el('button', { type: 'button', className: 'secondary' }, tx('cancel'));
      const question = el('p', {}, tx('rotateConfirm'));
      host.replaceChildren(el('div', { role: 'group', 'aria-label': tx('rotateSecret') }, question, yes, no));
      no.onclick = () => {
        host.replaceChildren(ask);
        ask.focus();
      };
      yes.onclick = async () => {
        host.replaceChildren(ask);
        try {
          const { secret } = await rotateSecret(this.homeId, this.device.id);
          this.on.secret(this.device.id, secret);
        } catch (err) {
          feedback.say(`${tx('failed')}: ${errorText(err)}`, true);
        }
      };
      no.focus();
    };
    host.append(ask);
    return el('div', {}, host, feedback.element);
  }
}
