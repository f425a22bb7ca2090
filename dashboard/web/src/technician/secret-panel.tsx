import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { copyField, copyText } from '../clipboard.ts';
import { tx } from '../home-view/strings.ts';
import { type BrokerConnection, brokerConnection, brokerUrls, readingsTopic } from './broker-connection.ts';

/** Copy's outcome beside its button, read out. */
function CopyButton({ text, label, describedBy }: { text: string; label: string; describedBy?: string }) {
  const [done, setDone] = useState<boolean | null>(null);
  return (
    <>
      <button
        type="button"
        class="secondary copy"
        aria-label={tx('copyWhat', { what: label })}
        aria-describedby={describedBy}
        onClick={() => void copyText(text).then(setDone)}
      >
        {tx('copy')}
      </button>{' '}
      <span class="muted" role="status">
        {done === null ? '' : tx(done ? 'copied' : 'copyFailed')}
      </span>
    </>
  );
}

/**
 * A device secret, shown this once (the server keeps only its hash): a copy button, a warning that
 * it will not be shown again, and a button to put it away. Focus moves to it so nobody misses it.
 * Beside it, everything else the device needs: the broker's URL(s), its topic and its username
 * (= client id = device id), each with a copy button.
 */
export function SecretPanel({
  homeId,
  deviceId,
  secret,
  onDone,
}: {
  homeId: string;
  deviceId: string;
  secret: string;
  onDone: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const value = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  // a new secret (another device, or rotated again) takes focus again
  useEffect(() => heading.current?.focus(), [deviceId, secret]);
  return (
    <section class="secret-panel" aria-labelledby="secret-title" data-device-id={deviceId}>
      <h3 ref={heading} id="secret-title" tabIndex={-1}>
        {tx('secretTitle', { id: deviceId })}
      </h3>
      <p class="warning" id="secret-warning">
        {tx('secretWarning')}
      </p>
      <label for="secret-value">{tx('secretLabel')}</label>
      <input
        ref={value}
        id="secret-value"
        readOnly
        value={secret}
        spellcheck={false}
        autocomplete="off"
        class="secret-value"
        aria-describedby="secret-warning"
      />
      <ConnectionDetails homeId={homeId} deviceId={deviceId} />
      <div class="actions">
        <button
          type="button"
          onClick={() => {
            if (value.current) void copyField(value.current).then(setCopied);
          }}
        >
          {tx('copy')}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            if (value.current) value.current.value = '';
            onDone();
          }}
        >
          {tx('secretDone')}
        </button>
        <span class="muted" role="status">
          {copied === null ? '' : tx(copied ? 'copied' : 'copyFailed')}
        </span>
      </div>
    </section>
  );
}

type Broker = { state: 'loading' } | { state: 'known'; connection: BrokerConnection } | { state: 'unknown' };

/** Broker URL(s), topic and username, each copyable; the URLs come from the platform as started. */
function ConnectionDetails({ homeId, deviceId }: { homeId: string; deviceId: string }) {
  const [broker, setBroker] = useState<Broker>({ state: 'loading' });
  useEffect(() => {
    let gone = false;
    brokerConnection().then(
      (connection) => !gone && setBroker({ state: 'known', connection }),
      () => !gone && setBroker({ state: 'unknown' }),
    );
    return () => {
      gone = true;
    };
  }, []);
  const rows: Array<[string, string, string]> = [
    ['topic', tx('topicLabel'), readingsTopic(homeId, deviceId)],
    ['username', tx('usernameLabel'), deviceId],
  ];
  return (
    <section aria-label={tx('connectTitle')}>
      <h4>{tx('connectTitle')}</h4>
      <dl class="connection-details">
        <dt>{tx('brokerUrls')}</dt>
        <dd>
          <div class="broker-urls">
            {broker.state === 'loading' ? tx('loading') : null}
            {broker.state === 'unknown' ? tx('brokerUnknown') : null}
            {broker.state === 'known' ? (
              <>
                {brokerUrls(broker.connection, location.origin).map((url, i) => (
                  <div key={url}>
                    <code id={`connect-url-${i}`} data-broker-url={url}>
                      {url}
                    </code>{' '}
                    <CopyButton text={url} label={url} />
                  </div>
                ))}
                {broker.connection.tls ? (
                  <p class="hint">
                    {`${tx('caFingerprint')}: `}
                    <code>{broker.connection.tls.fingerprint256}</code>
                  </p>
                ) : null}
              </>
            ) : null}
          </div>
        </dd>
        {rows.map(([key, label, text]) => (
          <Fragment key={key}>
            <dt>{label}</dt>
            <dd>
              <code id={`connect-${key}`}>{text}</code>{' '}
              <CopyButton text={text} label={label} describedBy={`connect-${key}`} />
            </dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}
