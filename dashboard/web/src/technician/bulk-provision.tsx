import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { tx } from '../home-view/strings.ts';
import { readingsTopic } from './broker-connection.ts';
import { parseDeviceCsv, secretsCsv } from './device-csv.ts';

interface Download {
  url: string;
  name: string;
}

/**
 * Many devices from a CSV file (a municipality's delivery): read in the browser, sent to the bulk
 * route (all or none), and the secrets handed over once as a downloaded CSV file, never shown on the
 * page. The file's object URL is revoked after the download (or when the next file is chosen).
 */
export function BulkProvisionForm({ onDone }: { onDone: () => void }) {
  const file = useRef<HTMLInputElement>(null);
  const link = useRef<HTMLAnchorElement>(null);
  const [sending, setSending] = useState(false);
  const [said, setSaid] = useState({ text: '', error: false });
  const [download, setDownload] = useState<Download | null>(null);
  const say = (text: string, error = false) => setSaid({ text, error });
  // the file's address is given up when it is replaced or the page goes
  useEffect(() => {
    if (!download) return;
    link.current?.focus();
    return () => URL.revokeObjectURL(download.url);
  }, [download]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setDownload(null);
    const chosen = file.current?.files?.[0];
    if (!chosen) return say(tx('bulkFile'), true);
    const parsed = parseDeviceCsv(await chosen.text());
    if (!parsed.ok)
      return say(
        tx('bulkBad', { line: parsed.line, reason: tx(`csvBad_${parsed.problem}`, { value: parsed.value }) }),
        true,
      );
    setSending(true);
    say(tx('bulkParsed', { n: parsed.devices.length }));
    try {
      const res = await api('post', '/api/provisioning/devices', { body: { devices: parsed.devices } });
      const rows = res.devices.map((d) => ({ id: d.device.id, homeId: d.device.homeId, secret: d.secret }));
      const blob = new Blob([secretsCsv(rows, readingsTopic)], { type: 'text/csv;charset=utf-8' });
      setDownload({
        url: URL.createObjectURL(blob),
        name: `tryghed-secrets-${new Date().toISOString().slice(0, 10)}.csv`,
      });
      say(tx('bulkDone', { n: rows.length }));
      if (file.current) file.current.value = '';
      onDone();
    } catch (err) {
      say(`${tx('failed')}: ${errorText(err)}`, true);
    } finally {
      setSending(false);
    }
  };
  return (
    <form class="bulk-provision" aria-labelledby="bulk-title" onSubmit={(e) => void submit(e)}>
      <h3 id="bulk-title">{tx('bulkTitle')}</h3>
      <p class="hint" id="bulk-hint">
        {tx('bulkIntro')}
      </p>
      <pre class="hint">
        {
          'id;home;kinds;role;reportIntervalS\nd-100;home-7;smoke temperature battery\ngw-7;home-7;heartbeat;gateway'
        }
      </pre>
      <label for="bulk-file">{tx('bulkFile')}</label>
      <input
        ref={file}
        id="bulk-file"
        type="file"
        accept=".csv,text/csv,text/plain"
        aria-describedby="bulk-hint"
      />
      <button type="submit" id="bulk-send" disabled={sending}>
        {tx('bulkSend')}
      </button>
      <p
        class={said.error ? 'feedback error' : 'feedback'}
        id="bulk-feedback"
        role="status"
        aria-live="polite"
      >
        {said.text}
      </p>
      <div class="actions">
        {download ? (
          <a
            ref={link}
            href={download.url}
            download={download.name}
            id="bulk-download"
            class="button"
            // once: after the download the file's address is given up, so the secrets are not kept here
            onClick={() => setTimeout(() => setDownload(null), 1000)}
          >
            {tx('bulkDownload')}
          </a>
        ) : null}
      </div>
    </form>
  );
}
