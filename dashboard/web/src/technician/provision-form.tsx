import { useRef, useState } from 'preact/hooks';
import { errorText } from '../errors.ts';
import { provisionDevice } from '../home-view/api.ts';
import { SENSOR_KINDS, tx } from '../home-view/strings.ts';

/** The form that provisions a device in a home; its secret goes to `onProvisioned`, once. */
export function ProvisionForm({
  homeId,
  testHome,
  onProvisioned,
}: {
  homeId: string;
  testHome: boolean;
  onProvisioned: (deviceId: string, secret: string) => void;
}) {
  const [error, setError] = useState('');
  const form = useRef<HTMLFormElement>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = form.current;
    if (!f) return;
    const field = <T extends Element>(id: string) => f.querySelector<T & Element>(`#${id}`);
    const boxes = SENSOR_KINDS.map((k) => field<HTMLInputElement>(`new-kind-${k}`));
    const kinds = SENSOR_KINDS.filter((_, i) => boxes[i]?.checked);
    if (kinds.length === 0) {
      setError(tx('chooseKinds'));
      boxes[0]?.focus();
      return;
    }
    setError('');
    try {
      const res = await provisionDevice(homeId, {
        id: (field<HTMLInputElement>('new-device-id')?.value ?? '').trim(),
        kinds,
        role: field<HTMLSelectElement>('new-device-role')?.value === 'gateway' ? 'gateway' : 'sensor',
        reportIntervalS: Number(field<HTMLInputElement>('new-device-interval')?.value),
        test: testHome && field<HTMLInputElement>('new-device-test')?.checked === true,
      });
      f.reset();
      onProvisioned(res.device.id, res.secret);
    } catch (err) {
      setError(`${tx('failed')}: ${errorText(err)}`);
    }
  };
  return (
    <form ref={form} class="provision" aria-labelledby="provision-title" onSubmit={(e) => void submit(e)}>
      <h3 id="provision-title">{tx('provisionTitle')}</h3>
      <label for="new-device-id">{tx('deviceId')}</label>
      <p class="hint" id="new-device-id-hint">
        {tx('deviceIdHint')}
      </p>
      <input
        id="new-device-id"
        name="id"
        required
        pattern="[A-Za-z0-9_\-]{1,64}"
        maxLength={64}
        autocomplete="off"
        spellcheck={false}
        aria-describedby="new-device-id-hint"
      />
      <fieldset class="kinds">
        <legend>{tx('kinds')}</legend>
        {SENSOR_KINDS.map((k) => (
          <div key={k} class="check">
            <input type="checkbox" id={`new-kind-${k}`} value={k} />
            <label for={`new-kind-${k}`}>{tx.of('kind_', k)}</label>
          </div>
        ))}
      </fieldset>
      <label for="new-device-role">{tx('role')}</label>
      <select id="new-device-role">
        {['sensor', 'gateway'].map((r) => (
          <option key={r} value={r}>
            {tx.of('role_', r)}
          </option>
        ))}
      </select>
      <label for="new-device-interval">{tx('reportIntervalS')}</label>
      {/* the default (not only the value), so the form's reset after provisioning keeps it */}
      <input
        id="new-device-interval"
        type="number"
        min="10"
        max="86400"
        step="1"
        defaultValue="300"
        required
        inputMode="numeric"
      />
      {/* only a test home has test devices; a citizen's device is tested in test mode instead */}
      {testHome ? (
        <div class="check">
          <input type="checkbox" id="new-device-test" />
          <label for="new-device-test">{tx('provisionAsTest')}</label>
        </div>
      ) : null}
      <p class="error" role="alert">
        {error}
      </p>
      <button type="submit">{tx('provision')}</button>
    </form>
  );
}
