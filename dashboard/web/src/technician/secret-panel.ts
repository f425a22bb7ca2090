import { copyField, copyText } from '../clipboard.ts';
import { el } from '../home-view/dom.ts';
import { tx } from '../home-view/strings.ts';
import { brokerConnection, brokerUrls, readingsTopic } from './broker-connection.ts';

/**
 * A device secret, shown this once (the server keeps only its hash): a copy button, a warning that
 * it will not be shown again, and a button to put it away. Focus moves to it so nobody misses it.
 * Beside it, everything else the device needs: the broker's URL(s), its topic and its username
 * (= client id = device id), each with a copy button.
 */
export function secretPanel(
  homeId: string,
  deviceId: string,
  secret: string,
  onDone: () => void,
): HTMLElement {
  const value = el('input', {
    id: 'secret-value',
    readOnly: true,
    value: secret,
    spellcheck: false,
    autocomplete: 'off',
    className: 'secret-value',
  });
  const copyStatus = el('span', { className: 'muted', role: 'status' });
  const heading = el('h3', { id: 'secret-title', tabIndex: -1 }, tx('secretTitle', { id: deviceId }));
  const panel = el(
    'section',
    { className: 'secret-panel', 'aria-labelledby': 'secret-title', 'data-device-id': deviceId },
    heading,
    el('p', { className: 'warning', id: 'secret-warning' }, tx('secretWarning')),
    el('label', { htmlFor: value.id }, tx('secretLabel')),
    value,
    connectionDetails(homeId, deviceId),
    el(
      'div',
      { className: 'actions' },
      el(
        'button',
        {
          type: 'button',
          onclick: () =>
            void copyField(value).then((ok) => (copyStatus.textContent = tx(ok ? 'copied' : 'copyFailed'))),
        },
        tx('copy'),
      ),
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          onclick: () => {
            value.value = '';
            panel.remove();
            onDone();
          },
        },
        tx('secretDone'),
      ),
      copyStatus,
    ),
  );
  value.setAttribute('aria-describedby', 'secret-warning');
  queueMicrotask(() => heading.focus());
  return panel;
}

/** Broker URL(s), topic and username, each copyable; the URLs come from the platform as started. */
function connectionDetails(homeId: string, deviceId: string): HTMLElement {
  const list = el('dl', { className: 'connection-details' });
  const row = (key: string, label: string, text: string) => {
    const id = `connect-${key}`;
    const status = el('span', { className: 'muted', role: 'status' });
    const code = el('code', { id }, text);
    list.append(
      el('dt', {}, label),
      el(
        'dd',
        {},
        code,
        ' ',
        el(
          'button',
          {
            type: 'button',
            className: 'secondary copy',
            'aria-label': tx('copyWhat', { what: label }),
            'aria-describedby': id,
            onclick: () =>
              void copyText(text).then((ok) => (status.textContent = tx(ok ? 'copied' : 'copyFailed'))),
          },
          tx('copy'),
        ),
        ' ',
        status,
      ),
    );
  };
  const urls = el('div', { className: 'broker-urls' }, tx('loading'));
  list.append(el('dt', {}, tx('brokerUrls')), el('dd', {}, urls));
  row('topic', tx('topicLabel'), readingsTopic(homeId, deviceId));
  row('username', tx('usernameLabel'), deviceId);
  void brokerConnection().then(
    (c) => {
      const found = brokerUrls(c, location.origin);
      urls.replaceChildren();
      found.forEach((url, i) => {
        const key = `url-${i}`;
        const status = el('span', { className: 'muted', role: 'status' });
        urls.append(
          el(
            'div',
            {},
            el('code', { id: `connect-${key}`, 'data-broker-url': url }, url),
            ' ',
            el(
              'button',
              {
                type: 'button',
                className: 'secondary copy',
                'aria-label': tx('copyWhat', { what: url }),
                onclick: () =>
                  void copyText(url).then((ok) => (status.textContent = tx(ok ? 'copied' : 'copyFailed'))),
              },
              tx('copy'),
            ),
            ' ',
            status,
          ),
        );
      });
      if (c.tls)
        urls.append(
          el('p', { className: 'hint' }, `${tx('caFingerprint')}: `, el('code', {}, c.tls.fingerprint256)),
        );
    },
    () => {
      urls.textContent = tx('brokerUnknown');
    },
  );
  return el('section', { 'aria-label': tx('connectTitle') }, el('h4', {}, tx('connectTitle')), list);
}
