import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { ClientCertificateMode } from '../broker/index.ts';
import { type Logger, StartError } from '../services/runtime/index.ts';
import type { Config } from './config.ts';

/** What the broker's TLS listener serves, and what a gateway must trust to verify it. */
export interface MqttTlsMaterial {
  cert: string;
  key: string;
  clientCa?: string;
  clientCertificates: ClientCertificateMode;
  /** PEM a gateway or simulator trusts (`--ca`): the self-signed certificate, or the chain in MQTT_TLS_CERT */
  caPem: string;
  /** SHA-256 of the server certificate, `AB:CD:…`, to compare by eye with what a client shows */
  fingerprint256: string;
  certPath: string;
  selfSigned: boolean;
  validTo: Date;
  warnings: string[];
}

/** Where `npm start` keeps the self-signed pair it made, under DATA_DIR. */
export const selfSignedPaths = (dataDir: string) => ({
  dir: join(dataDir, 'tls'),
  cert: join(dataDir, 'tls', 'mqtt-server.pem'),
  key: join(dataDir, 'tls', 'mqtt-server.key'),
});

/** 825 days: the longest lifetime clients commonly accept for a server certificate. */
const SELF_SIGNED_DAYS = 825;
const EXPIRY_WARNING_DAYS = 30;

const readSetting = (setting: string, path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StartError(
      code === 'ENOENT'
        ? `${setting}: no file at ${resolve(path)}`
        : `${setting}: cannot read ${resolve(path)} (${code ?? (err as Error).message})`,
      { cause: err },
    );
  }
};

/**
 * The broker's certificate and key: the operator's (`MQTT_TLS_CERT`/`MQTT_TLS_KEY`), or, on the
 * first start without them, a self-signed pair made with the `openssl` program under DATA_DIR and
 * kept: its fingerprint is what gateways were paired with, so it is never silently replaced.
 * Returns null when TLS is off (`MQTT_TLS_PORT=off`). Every error names the setting to change.
 */
export async function loadMqttTls(config: Config, logger: Logger): Promise<MqttTlsMaterial | null> {
  if (config.mqttTlsPort === null) return null;
  let certPath: string;
  let keyPath: string;
  let selfSigned = false;
  if (config.mqttTlsCert) {
    certPath = config.mqttTlsCert;
    keyPath = config.mqttTlsKey;
  } else {
    const paths = selfSignedPaths(config.dataDir);
    certPath = paths.cert;
    keyPath = paths.key;
    selfSigned = true;
    if (!existsSync(paths.cert)) {
      await makeSelfSigned(paths, subjectAltNames(config));
      logger.info({ certPath: resolve(paths.cert) }, 'made a self-signed MQTT TLS certificate');
    } else if (!existsSync(paths.key)) {
      throw new StartError(
        `MQTT_TLS_KEY: the self-signed certificate ${resolve(paths.cert)} is there but its key ${resolve(paths.key)} is gone; ` +
          'delete the certificate to make a new pair (gateways must then be paired again), or set MQTT_TLS_CERT and MQTT_TLS_KEY',
      );
    }
  }
  const certSetting = selfSigned ? 'MQTT_TLS_CERT (self-signed, under DATA_DIR)' : 'MQTT_TLS_CERT';
  const keySetting = selfSigned ? 'MQTT_TLS_KEY (self-signed, under DATA_DIR)' : 'MQTT_TLS_KEY';
  const cert = readSetting(certSetting, certPath);
  const key = readSetting(keySetting, keyPath);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new StartError(`${certSetting}: ${resolve(certPath)} is not a PEM certificate`, { cause: err });
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new StartError(
      `${keySetting}: ${resolve(keyPath)} is not a PEM private key (or it has a passphrase)`,
      {
        cause: err,
      },
    );
  }
  if (!matches) {
    throw new StartError(
      `${keySetting}: ${resolve(keyPath)} is not the key of the certificate in ${resolve(certPath)}`,
    );
  }

  const warnings: string[] = [];
  const validTo = new Date(x509.validTo);
  const daysLeft = (validTo.getTime() - Date.now()) / 86_400_000;
  if (daysLeft <= 0) {
    warnings.push(
      `the MQTT TLS certificate ${resolve(certPath)} expired on ${validTo.toISOString()}: devices cannot connect over TLS; renew it${selfSigned ? ' (delete it and its key to make a new pair, then pair gateways again)' : ''}`,
    );
  } else if (daysLeft < EXPIRY_WARNING_DAYS) {
    warnings.push(
      `the MQTT TLS certificate ${resolve(certPath)} expires on ${validTo.toISOString()} (in ${Math.ceil(daysLeft)} days): renew it`,
    );
  }
  if (selfSigned && config.publicUrl) {
    const publicHost = new URL(config.publicUrl).hostname;
    const named = isIP(publicHost) ? x509.checkIP(publicHost) : x509.checkHost(publicHost);
    if (!named) {
      warnings.push(
        `the self-signed MQTT certificate does not name ${publicHost} (PUBLIC_URL): gateways connecting by that name will refuse it; ` +
          `delete ${resolve(certPath)} and its key to make a new one (gateways must be paired again), or set MQTT_TLS_CERT/MQTT_TLS_KEY`,
      );
    }
  }
  const clientCa = config.mqttTlsCa ? readSetting('MQTT_TLS_CA', config.mqttTlsCa) : undefined;
  if (clientCa !== undefined) {
    try {
      new X509Certificate(clientCa);
    } catch (err) {
      throw new StartError(`MQTT_TLS_CA: ${resolve(config.mqttTlsCa)} is not a PEM certificate`, {
        cause: err,
      });
    }
  }
  return {
    cert,
    key,
    ...(clientCa !== undefined ? { clientCa } : {}),
    clientCertificates: config.mqttTlsClientCert,
    caPem: cert,
    fingerprint256: x509.fingerprint256,
    certPath: resolve(certPath),
    selfSigned,
    validTo,
    warnings,
  };
}

/** The names a client may use for this machine: loopback, its host name, MQTT_HOST and PUBLIC_URL's host. */
function subjectAltNames(config: Config): string[] {
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  const add = (name: string) => {
    if (!name || name === '0.0.0.0' || name === '::') return;
    if (isIP(name)) names.add(`IP:${name}`);
    else if (/^[A-Za-z0-9.-]+$/.test(name)) names.add(`DNS:${name}`);
  };
  add(hostname());
  add(config.mqttHost);
  if (config.publicUrl) add(new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''));
  return [...names];
}

/**
 * EC P-256 key and a self-signed certificate, made in a private folder and moved into place key
 * first, certificate last: a power cut in between leaves no certificate, so the next start makes
 * a new pair instead of serving a certificate without its key.
 */
async function makeSelfSigned(paths: ReturnType<typeof selfSignedPaths>, altNames: string[]): Promise<void> {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(paths.dir, '.new-'));
  try {
    const key = join(work, 'key.pem');
    const cert = join(work, 'cert.pem');
    await new Promise<void>((done, fail) => {
      execFile(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          String(SELF_SIGNED_DAYS),
          '-subj',
          `/O=Tryghed/CN=Tryghed MQTT broker (self-signed)`,
          '-addext',
          `subjectAltName=${altNames.join(',')}`,
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { timeout: 30_000 },
        (err, _stdout, stderr) => {
          if (!err) return done();
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          fail(
            new StartError(
              missing
                ? 'MQTT_TLS_CERT/MQTT_TLS_KEY: not set, and there is no `openssl` program to make a self-signed pair; ' +
                    'install openssl (Debian: apt-get install openssl), set MQTT_TLS_CERT and MQTT_TLS_KEY, or switch TLS off with MQTT_TLS_PORT=off'
                : `MQTT_TLS_CERT/MQTT_TLS_KEY: making a self-signed pair with openssl failed: ${String(stderr).trim() || err.message}`,
              { cause: err },
            ),
          );
        },
      );
    });
    chmodSync(key, 0o600);
    renameSync(key, paths.key);
    renameSync(cert, paths.cert);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
