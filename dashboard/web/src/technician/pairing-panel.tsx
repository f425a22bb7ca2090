import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { copyField } from '../clipboard.ts';
import { errorText } from '../errors.ts';
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
export function PairingPanel({
  homeId,
  hasGateway,
  say,
  changed,
}: {
  homeId: string;
  /** the home has a gateway device (pairing again re-keys it) */
  hasGateway: boolean;
  say: (text: string, error?: boolean) => void;
  /** re-reads the home's devices (the gateway is one of them now) */
  changed: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<PairingAnswer | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const pair = async () => {
    if (hasGateway && !window.confirm(w('confirm'))) return;
    setBusy(true);
    try {
      const got: PairingAnswer = await api('post', '/api/homes/{homeId}/gateway-pairing', {
        path: { homeId },
      });
      say(w(got.rekeyed ? 'rekeyed' : 'paired', { id: got.bundle.gatewayId }));
      setAnswer(got);
      await changed();
    } catch (err) {
      say(`${w('failed')}: ${errorText(err)}`, true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel-section pairing" aria-labelledby="pairing-title">
      <h3 id="pairing-title">{w('title')}</h3>
      <p>{w('intro')}</p>
      <button ref={button} type="button" id="pair-gateway" disabled={busy} onClick={() => void pair()}>
        {hasGateway ? w('rePair') : w('pair')}
      </button>
      <div>
        {answer ? (
          <CodePanel
            key={answer.code}
            answer={answer}
            onDone={() => {
              setAnswer(null);
              button.current?.focus();
            }}
          />
        ) : null}
      </div>
    </section>
  );
}

function CodePanel({ answer, onDone }: { answer: PairingAnswer; onDone: () => void }) {
  const id = answer.bundle.gatewayId;
  const heading = useRef<HTMLHeadingElement>(null);
  const code = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  useEffect(() => heading.current?.focus(), []);
  const url = answer.bundle.platformUrl;
  const tls = url.startsWith('mqtts:') || url.startsWith('wss:');
  return (
    <section class="secret-panel" aria-labelledby="pairing-code-title" data-gateway-id={id}>
      <h3 ref={heading} id="pairing-code-title" tabIndex={-1}>
        {w('codeTitle', { id })}
      </h3>
      <p class="warning" id="pairing-warning">
        {w('warning')}
      </p>
      <p class={tls ? 'muted' : 'warning'}>{w(tls ? 'tls' : 'noTls')}</p>
      <label for="pairing-code">{w('codeLabel')}</label>
      <textarea
        ref={code}
        id="pairing-code"
        readOnly
        rows={4}
        spellcheck={false}
        class="secret-value"
        aria-describedby="pairing-warning"
        value={answer.code}
      />
      <p>
        {w('command')} <code>{'tryghed gateway --pair <kode/code>'}</code>
      </p>
      <div class="actions">
        <button
          type="button"
          onClick={() => {
            if (code.current) void copyField(code.current).then(setCopied);
          }}
        >
          {w('copy')}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            if (code.current) code.current.value = '';
            onDone();
          }}
        >
          {w('done')}
        </button>
        <span class="muted" role="status">
          {copied === null ? '' : w(copied ? 'copied' : 'copyFailed')}
        </span>
      </div>
    </section>
  );
}
