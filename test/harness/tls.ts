import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

const openssl = (args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile('openssl', args, (err, _out, stderr) =>
      err ? reject(new Error(`openssl: ${stderr}`)) : resolve(),
    ),
  );

/**
 * A test CA that issues client certificates (as a municipality's device CA would), with the
 * real `openssl` program. Files land in `dir`.
 */
export async function makeClientCa(dir: string, name = 'ca') {
  const ca = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=Test device CA ${name}`,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
  ]);
  return {
    cert: ca.cert,
    /** a client certificate with `commonName`, signed by this CA */
    async issue(commonName: string): Promise<{ cert: string; key: string }> {
      const base = join(dir, `${name}-${commonName}`);
      await openssl([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${commonName}`,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
      ]);
      await openssl([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        `${base}.pem`,
      ]);
      return { cert: `${base}.pem`, key: `${base}.key` };
    },
  };
}

/** Connects once (no reconnect) and resolves to the client, or rejects with why it could not. */
export function connectOnce(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: 4,
      ...options,
    });
    let failure: Error | undefined;
    client.once('connect', () => resolve(client));
    client.on('error', (err) => {
      failure ??= err;
    });
    // a TLS 1.3 server refuses a client certificate after the client thinks the handshake is done:
    // then the socket just closes, with or without an error first
    client.once('close', () => {
      client.end(true);
      reject(failure ?? new Error('connection closed by the server'));
    });
  });
}

/** Runs a Debian mosquitto client and returns its exit code and output. */
export function runMosquitto(cmd: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
