import { api } from '../api/client.ts';
import { copyField } from '../clipboard.ts';
import { errorText } from '../errors.ts';
import { el } from '../home-view/dom.ts';
import { section } from '../messages/index.ts';

/** Words of the gateway pairing (the catalog's `pairing` section). */
const w = section('pairing');

interface PairingAnswer {
  bundle: { gatewayId: string; platformUrl: string; ca: string | null };
  code: string;
  rekeyed: boolean;
}

/**
 * Pairs (or re-keys) the home's gateway and shows the pairing code once: a copy button, the command
 * to run on the box, a warning that it is not shown again, and a button to put it away.
 */
export function pairingPanel(
  homeId: string,
  o: {
    hasGateway: () => boolean;
    say: (text: string, error?: boolean) => void;
    /** re-reads the home's devices (the gateway is one of them now) */
    changed: () => Promise<void>;
  },
): HTMLElement & { refreshPairing: () => void } {
  const slot = el('div');
  const button = el('button', { type: 'button', id: 'pair-gateway' }, w('pair'));
  const section = el(
    'section',
    { className: 'panel-section pairing', 'aria-labelledby': 'pairing-title' },
    el('h3', { id: 'pairing-title' }, w('title')),
    el('p', {}, w('intro')),
    button,
    slot,
  );
  const refresh = () => {
    button.textContent = o.hasGateway() ? w('rePair') : w('pair');
  };
  refresh();
  button.onclick = async () => {
    if (o.hasGateway() && !window.confirm(w('confirm'))) return;
    button.disabled = true;
    try {
      const answer: PairingAnswer = await api('post', '/api/homes/{homeId}/gateway-pairing', {
        path: { homeId },
      });
      const id = answer.bundle.gatewayId;
      o.say(w(answer.rekeyed ? 'rekeyed' : 'paired', { id }));
      slot.replaceChildren(codePanel(answer, () => button.focus()));
      await o.changed();
    } catch (err) {
      o.say(`${w('failed')}: ${errorText(err)}`, true);
    } finally {
      button.disabled = false;
      refresh();
    }
  };
  return Object.assign(section, { refreshPairing: refresh });
}

function codePanel(answer: PairingAnswer, onDone: () => void): HTMLElement {
  const id = answer.bundle.gatewayId;
  const code = el('textarea', {
    id: 'pairing-code',
    readOnly: true,
    rows: 4,
    spellcheck: false,
    className: 'secret-value',
  });
  code.value = answer.code;
  code.setAttribute('aria-describedby', 'pairing-warning');
  const copyStatus = el('span', { className: 'muted', role: 'status' });
  const heading = el('h3', { id: 'pairing-code-title', tabIndex: -1 }, w('codeTitle', { id }));
  const tls = answer.bundle.platformUrl.startsWith('mqtts:') || answer.bundle.platformUrl.startsWith('wss:');
  const panel = el(
    'section',
    { className: 'secret-panel', 'aria-labelledby': 'pairing-code-title', 'data-gateway-id': id },
    heading,
    el('p', { className: 'warning', id: 'pairing-warning' }, w('warning')),
    el('p', { className: tls ? 'muted' : 'warning' }, w(tls ? 'tls' : 'noTls')),
    el('label', { htmlFor: code.id }, w('codeLabel')),
    code,
    el('p', {}, w('command'), ' ', el('code', {}, 'tryghed gateway --pair <kode/code>')),
    el(
      'div',
      { className: 'actions' },
      el(
        'button',
        {
          type: 'button',
          onclick: () =>
            void copyField(code).then((ok) => {
              copyStatus.textContent = w(ok ? 'copied' : 'copyFailed');
            }),
        },
        w('copy'),
      ),
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          onclick: () => {
            code.value = '';
            panel.remove();
            onDone();
          },
        },
        w('done'),
      ),
      copyStatus,
    ),
  );
  queueMicrotask(() => heading.focus());
  return panel;
}
