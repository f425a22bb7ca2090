import { api } from '../api/client.ts';
import { copyField } from '../clipboard.ts';
import { el } from '../home-view/dom.ts';
import { currentLang } from '../i18n.ts';

/** Words of the gateway pairing: Danish first, English second. */
const words = {
  da: {
    title: 'Gateway i hjemmet',
    intro:
      'Gatewayen er den lille boks i hjemmet, der henter målinger fra zigbee2mqtt og sender dem hertil. Par den i ét trin: du får en kode med alt, den skal bruge (adresse, id, hemmelighed og certifikat).',
    pair: 'Par gateway',
    rePair: 'Par gateway igen (ny hemmelighed)',
    confirm: 'Gatewayen får en ny hemmelighed, og den gamle holder op med at virke. Fortsæt?',
    codeTitle: 'Parringskode for {id}',
    warning: 'Kopiér koden nu og sæt den ind på gatewayen. Den vises ikke igen.',
    codeLabel: 'Parringskode',
    command: 'Kør på gatewayen:',
    copy: 'Kopiér koden',
    copied: 'Kopieret.',
    copyFailed: 'Kunne ikke kopiere. Markér teksten og kopiér selv.',
    done: 'Jeg har brugt koden',
    paired: 'Gatewayen {id} er parret.',
    rekeyed: 'Gatewayen {id} har fået en ny hemmelighed; den gamle virker ikke længere.',
    failed: 'Parringen mislykkedes',
    tls: 'Forbindelsen er krypteret (TLS); certifikatet er med i koden.',
    noTls: 'Advarsel: platformen tilbyder ikke TLS. Brug kun dette på et lukket net.',
  },
  en: {
    title: 'Gateway in the home',
    intro:
      'The gateway is the small box in the home that takes readings from zigbee2mqtt and sends them here. Pair it in one step: you get a code with everything it needs (address, ids, secret and certificate).',
    pair: 'Pair gateway',
    rePair: 'Pair gateway again (new secret)',
    confirm: 'The gateway gets a new secret and the old one stops working. Continue?',
    codeTitle: 'Pairing code for {id}',
    warning: 'Copy the code now and paste it on the gateway. It will not be shown again.',
    codeLabel: 'Pairing code',
    command: 'Run on the gateway:',
    copy: 'Copy the code',
    copied: 'Copied.',
    copyFailed: 'Could not copy. Select the text and copy it yourself.',
    done: 'I have used the code',
    paired: 'Gateway {id} is paired.',
    rekeyed: 'Gateway {id} has a new secret; the old one no longer works.',
    failed: 'Pairing failed',
    tls: 'The connection is encrypted (TLS); the certificate is in the code.',
    noTls: 'Warning: the platform does not offer TLS. Use this on a closed network only.',
  },
};
type Word = keyof typeof words.da;
const w = (key: Word, vars: Record<string, string> = {}) =>
  words[currentLang()][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');

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
      o.say(`${w('failed')}: ${(err as Error).message}`, true);
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
