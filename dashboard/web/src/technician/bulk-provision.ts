import { api } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { el } from '../home-view/dom.ts';
import { tx } from '../home-view/strings.ts';
import { readingsTopic } from './broker-connection.ts';
import { parseDeviceCsv, secretsCsv } from './device-csv.ts';

/**
 * Many devices from a CSV file (a municipality's delivery): read in the browser, sent to the bulk
 * route (all or none), and the secrets handed over once as a downloaded CSV file, never shown on the
 * page. The file's object URL is revoked after the download (or when the next file is chosen).
 */
export function bulkProvisionForm(onDone: () => void): HTMLElement {
  const file = el('input', { id: 'bulk-file', type: 'file', accept: '.csv,text/csv,text/plain' });
  const send = el('button', { type: 'submit', id: 'bulk-send' }, tx('bulkSend'));
  const feedback = el('p', {
    className: 'feedback',
    id: 'bulk-feedback',
    role: 'status',
    'aria-live': 'polite',
  });
  const download = el('div', { className: 'actions' });
  let revoke: (() => void) | null = null;
  const say = (text: string, error = false) => {
    feedback.textContent = text;
    feedback.classList.toggle('error', error);
  };
  const form = el(
    'form',
    { className: 'bulk-provision', 'aria-labelledby': 'bulk-title' },
    el('h3', { id: 'bulk-title' }, tx('bulkTitle')),
    el('p', { className: 'hint', id: 'bulk-hint' }, tx('bulkIntro')),
    el(
      'pre',
      { className: 'hint' },
      'id;home;kinds;role;reportIntervalS\nd-100;home-7;smoke temperature battery\ngw-7;home-7;heartbeat;gateway',
    ),
    el('label', { htmlFor: file.id }, tx('bulkFile')),
    file,
    send,
    feedback,
    download,
  );
  file.setAttribute('aria-describedby', 'bulk-hint');
  form.onsubmit = async (e) => {
    e.preventDefault();
    revoke?.();
    download.replaceChildren();
    const chosen = file.files?.[0];
    if (!chosen) return say(tx('bulkFile'), true);
    const parsed = parseDeviceCsv(await chosen.text());
    if (!parsed.ok)
      return say(
        tx('bulkBad', { line: parsed.line, reason: tx(`csvBad_${parsed.problem}`, { value: parsed.value }) }),
        true,
      );
    send.disabled = true;
    say(tx('bulkParsed', { n: parsed.devices.length }));
    try {
      const res = await api('post', '/api/provisioning/devices', { body: { devices: parsed.devices } });
      const rows = res.devices.map((d) => ({ id: d.device.id, homeId: d.device.homeId, secret: d.secret }));
      const blob = new Blob([secretsCsv(rows, readingsTopic)], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(blob);
      const link = el(
        'a',
        {
          href: url,
          download: `tryghed-secrets-${new Date().toISOString().slice(0, 10)}.csv`,
          id: 'bulk-download',
          className: 'button',
        },
        tx('bulkDownload'),
      );
      revoke = () => {
        URL.revokeObjectURL(url);
        link.remove();
        revoke = null;
      };
      // once: after the download the file's address is given up, so the secrets are not kept here
      link.addEventListener('click', () => setTimeout(() => revoke?.(), 1000));
      download.replaceChildren(link);
      say(tx('bulkDone', { n: rows.length }));
      file.value = '';
      link.focus();
      onDone();
    } catch (err) {
      say(`${tx('failed')}: ${errorText(err)}`, true);
    } finally {
      send.disabled = false;
    }
  };
  return form;
}
