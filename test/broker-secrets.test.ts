import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../platform/config.ts';
import {
  DEVICE_SECRET_KEY_FILE,
  DeviceSecretHasher,
  hashSecret,
  loadDeviceSecretKey,
  newSecret,
} from '../services/runtime/index.ts';
import { tempDir, uniqueDatabase } from './harness/index.ts';
import { startTestPlatform } from './harness/platform.ts';

describe('device secrets: a keyed hash under a server key that never lives in the database', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d.path;
  };

  it('makes the key file under DATA_DIR on first start, readable by its owner only, and keeps it', () => {
    const dataDir = join(dir(), 'data');
    const first = loadDeviceSecretKey({ setting: '', dataDir });
    const path = join(dataDir, DEVICE_SECRET_KEY_FILE);
    expect(first).toMatchObject({ source: 'created', path, warnings: [] });
    expect(first.key.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadDeviceSecretKey({ setting: '', dataDir });
    expect(second.source).toBe('file');
    expect(second.key.equals(first.key)).toBe(true);
    chmodSync(path, 0o644);
    expect(loadDeviceSecretKey({ setting: '', dataDir }).warnings.join()).toMatch(/chmod 600/);
  });

  it('takes DEVICE_SECRET_KEY instead, and then writes no file; a weak or garbled key stops start naming it', () => {
    const dataDir = dir();
    const setting = Buffer.alloc(32, 7).toString('base64');
    const loaded = loadDeviceSecretKey({ setting, dataDir });
    expect(loaded.source).toBe('setting');
    expect(loaded.key.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(existsSync(join(dataDir, DEVICE_SECRET_KEY_FILE))).toBe(false);
    expect(loadDeviceSecretKey({ setting: 'ab'.repeat(32), dataDir }).key.length).toBe(32);
    for (const bad of ['short', Buffer.alloc(16).toString('base64'), 'not base64 at all!']) {
      let error: unknown;
      try {
        loadConfig({ DEVICE_SECRET_KEY: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/DEVICE_SECRET_KEY/);
      expect((error as Error).message).not.toContain(bad);
    }
  });

  it('a stored hash holds neither the secret nor a way to test guesses without the server key', async () => {
    const hasher = DeviceSecretHasher.ephemeral();
    const secret = newSecret();
    const stored = hasher.hash(secret);
    expect(stored).toMatch(/^hmac-sha256\$[0-9a-f]{8}\$/);
    expect(stored).not.toContain(secret);
    expect(hasher.hash(secret)).not.toBe(stored); // salted
    expect(await hasher.verify(secret, stored)).toBe('match');
    expect(await hasher.verify(`${secret}x`, stored)).toBe('mismatch');
    // someone with the database but another key (or none) cannot check a guess, not even the right one
    expect(await DeviceSecretHasher.ephemeral().verify(secret, stored)).toBe('other_key');
    // hashes from before keep working and are flagged for an upgrade
    expect(await hasher.verify('old', await hashSecret('old', 'device'))).toBe('match_legacy');
    expect(await hasher.verify('older', await hashSecret('old', 'device'))).toBe('mismatch');
    // the check without a promise (every connect's) answers the same, and leaves the old kind to verify()
    expect(hasher.verifyNow(secret, stored)).toBe('match');
    expect(hasher.verifyNow(`${secret}x`, stored)).toBe('mismatch');
    expect(hasher.verifyNow(secret, undefined)).toBe('mismatch');
    expect(DeviceSecretHasher.ephemeral().verifyNow(secret, stored)).toBe('other_key');
    expect(hasher.verifyNow('old', await hashSecret('old', 'device'))).toBeNull();
  });

  it('an unknown id is refused through the same keyed check as a wrong secret (cost is measured in npm run bench)', async () => {
    // Speed is measured beside bare aedes in test/bench/connect.ts, never timed here: a busy machine
    // makes timing assertions lie. What a test can check is that both refusals take the same path.
    const hasher = DeviceSecretHasher.ephemeral();
    const secret = newSecret();
    const stored = hasher.hash(secret);
    expect(await hasher.verify(secret, stored)).toBe('match');
    expect(await hasher.verify('wrong-guess', stored)).toBe('mismatch');
    expect(await hasher.verify('wrong-guess', undefined)).toBe('mismatch');
    // even the right secret of some device is refused when the id is unknown
    expect(await hasher.verify(secret, undefined)).toBe('mismatch');
  });

  it('the platform keeps its key across a restart: a device provisioned before still connects after', async () => {
    const dataDir = dir();
    const database = uniqueDatabase('secrets');
    let platform = await startTestPlatform({ dataDir, database });
    let secret: string;
    try {
      await platform.store.teams.create({ id: 't', name: 'T' });
      await platform.registry.createHome({ id: 'h1', label: 'H1', teamId: 't' });
      ({ secret } = await platform.registry.provisionDevice({ id: 'd1', homeId: 'h1', kinds: ['motion'] }));
    } finally {
      await platform.close();
    }
    const keyFile = join(dataDir, DEVICE_SECRET_KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // the key is not in the database file
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(readFileSync(join(dataDir, 'tryghed.sqlite')).includes(Buffer.from(key))).toBe(false);
    platform = await startTestPlatform({ dataDir, database });
    try {
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: 'd1',
        username: 'd1',
        password: secret,
        reconnectPeriod: 0,
      });
      await client.endAsync();
    } finally {
      await platform.close();
    }
  });
});
