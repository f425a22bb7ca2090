import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config.ts';
import { loadMqttTls, selfSignedPaths } from '../platform/mqtt-tls.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { tempDir } from './harness/index.ts';
import { makeClientCa } from './harness/tls.ts';

/** The broker's certificate as an operator meets it: their own files, or the pair made on first start. */
describe('MQTT TLS certificate and key', () => {
  const dir = tempDir();
  let own: Awaited<ReturnType<typeof makeClientCa>>;
  const load = (env: Record<string, string>) =>
    loadMqttTls(loadConfig({ DATA_DIR: dir.path, ...env }), silentLogger());

  beforeAll(async () => {
    // certificates valid for two days, made by the real openssl
    own = await makeClientCa(dir.path, 'own');
    await makeClientCa(dir.path, 'other');
  });
  afterAll(() => dir.remove());

  it("uses the operator's pair and warns when it expires within 30 days", async () => {
    const tls = await load({ MQTT_TLS_CERT: own.cert, MQTT_TLS_KEY: `${dir.path}/own.key` });
    expect(tls?.selfSigned).toBe(false);
    expect(tls?.warnings.join('\n')).toMatch(/expires on .* \(in 2 days\): renew it/);
  });

  it('refuses a key that does not belong to the certificate, naming MQTT_TLS_KEY', async () => {
    await expect(load({ MQTT_TLS_CERT: own.cert, MQTT_TLS_KEY: `${dir.path}/other.key` })).rejects.toThrow(
      /^MQTT_TLS_KEY: .*other\.key is not the key of the certificate/,
    );
    await expect(
      load({ MQTT_TLS_CERT: `${dir.path}/own.key`, MQTT_TLS_KEY: `${dir.path}/own.key` }),
    ).rejects.toThrow(/^MQTT_TLS_CERT: .* is not a PEM certificate/);
    await expect(
      load({
        MQTT_TLS_CERT: own.cert,
        MQTT_TLS_KEY: `${dir.path}/own.key`,
        MQTT_TLS_CLIENT_CERT: 'required',
        MQTT_TLS_CA: `${dir.path}/none.pem`,
      }),
    ).rejects.toThrow(/^MQTT_TLS_CA: no file at/);
  });

  it('the self-signed pair warns when it does not name PUBLIC_URL, and a lost key is said, not papered over', async () => {
    const first = await load({});
    expect(first?.selfSigned).toBe(true);
    expect(first?.warnings).toEqual([]);
    const named = await load({ PUBLIC_URL: 'https://tryghed.kommune.example' });
    expect(named?.fingerprint256).toBe(first?.fingerprint256);
    expect(named?.warnings.join('\n')).toMatch(/does not name tryghed\.kommune\.example \(PUBLIC_URL\)/);
    rmSync(selfSignedPaths(dir.path).key);
    await expect(load({})).rejects.toThrow(
      /^MQTT_TLS_KEY: the self-signed certificate .* is there but its key .* is gone/,
    );
  });

  it('TLS off: nothing is made', async () => {
    const off = tempDir();
    try {
      expect(
        await loadMqttTls(loadConfig({ DATA_DIR: off.path, MQTT_TLS_PORT: 'off' }), silentLogger()),
      ).toBeNull();
      expect(existsSync(selfSignedPaths(off.path).dir)).toBe(false);
    } finally {
      off.remove();
    }
  });
});
