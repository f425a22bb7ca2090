import { errorText } from '../errors.ts';
import { provisionDevice } from '../home-view/api.ts';
import { el } from '../home-view/dom.ts';
import { SENSOR_KINDS, tx } from '../home-view/strings.ts';

/** The form that provisions a device in a home; its secret goes to `onProvisioned`, once. */
export function provisionForm(
  homeId: string,
  testHome: boolean,
  onProvisioned: (deviceId: string, secret: string) => void,
): HTMLElement {
  const id = el('input', {
    id: 'new-device-id',
    name: 'id',
    required: true,
    pattern: '[A-Za-z0-9_\\-]{1,64}',
    maxLength: 64,
    autocomplete: 'off',
    spellcheck: false,
  });
  id.setAttribute('aria-describedby', 'new-device-id-hint');
  const boxes = SENSOR_KINDS.map((k) => el('input', { type: 'checkbox', id: `new-kind-${k}`, value: k }));
  const role = el('select', { id: 'new-device-role' });
  for (const r of ['sensor', 'gateway']) role.append(el('option', { value: r }, tx.of('role_', r)));
  const interval = el('input', {
    id: 'new-device-interval',
    type: 'number',
    min: '10',
    max: '86400',
    step: '1',
    // the default (not only the value), so the form's reset after provisioning keeps it
    defaultValue: '300',
    required: true,
    inputMode: 'numeric',
  });
  const test = el('input', { type: 'checkbox', id: 'new-device-test' });
  const error = el('p', { className: 'error', role: 'alert' });
  const form = el(
    'form',
    { className: 'provision', 'aria-labelledby': 'provision-title' },
    el('h3', { id: 'provision-title' }, tx('provisionTitle')),
    el('label', { htmlFor: id.id }, tx('deviceId')),
    el('p', { className: 'hint', id: 'new-device-id-hint' }, tx('deviceIdHint')),
    id,
    el(
      'fieldset',
      { className: 'kinds' },
      el('legend', {}, tx('kinds')),
      ...boxes.map((b) =>
        el('div', { className: 'check' }, b, el('label', { htmlFor: b.id }, tx.of('kind_', b.value))),
      ),
    ),
    el('label', { htmlFor: role.id }, tx('role')),
    role,
    el('label', { htmlFor: interval.id }, tx('reportIntervalS')),
    interval,
    // only a test home has test devices; a citizen's device is tested in test mode instead
    testHome
      ? el('div', { className: 'check' }, test, el('label', { htmlFor: test.id }, tx('provisionAsTest')))
      : null,
    error,
    el('button', { type: 'submit' }, tx('provision')),
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    const kinds = SENSOR_KINDS.filter((k) => boxes.some((b) => b.checked && b.value === k));
    if (kinds.length === 0) {
      error.textContent = tx('chooseKinds');
      boxes[0]!.focus();
      return;
    }
    error.textContent = '';
    try {
      const res = await provisionDevice(homeId, {
        id: id.value.trim(),
        kinds,
        role: role.value === 'gateway' ? 'gateway' : 'sensor',
        reportIntervalS: Number(interval.value),
        test: testHome && test.checked,
      });
      form.reset();
      onProvisioned(res.device.id, res.secret);
    } catch (err) {
      error.textContent = `${tx('failed')}: ${errorText(err)}`;
    }
  };
  return form;
}
