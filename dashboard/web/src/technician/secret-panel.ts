import { el } from '../home-view/dom.ts';
import { tx } from '../home-view/strings.ts';

/**
 * A device secret, shown this once (the server keeps only its hash): a copy button, a warning that
 * it will not be shown again, and a button to put it away. Focus moves to it so nobody misses it.
 */
export function secretPanel(deviceId: string, secret: string, onDone: () => void): HTMLElement {
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
    el(
      'div',
      { className: 'actions' },
      el(
        'button',
        {
          type: 'button',
          onclick: () =>
            void copy(value).then((ok) => (copyStatus.textContent = tx(ok ? 'copied' : 'copyFailed'))),
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

async function copy(input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    // no clipboard permission (or not a secure context): select it so the person can copy by hand
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}
