import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyedMac } from './keyed-mac.ts';

// People's passwords: stored as `scrypt$N$r$p$salt$hash` so parameters can be raised later.
// N=2^14, r=8: ~30 ms and 16 MiB per check, OWASP's minimum for scrypt, because people choose
// guessable passwords. (`device` strength, N=2^10, is how device secrets were stored before the
// keyed hash below; such hashes still verify and are replaced on the device's next connect.)
const COST = { password: 16384, device: 1024 } as const;
const R = 8;
const P = 1;
const KEYLEN = 32;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string, strength: keyof typeof COST = 'password'): Promise<string> {
  const salt = randomBytes(16);
  const n = COST[strength];
  const key = await derive(secret, salt, n, R, P);
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  if (Number(n) > COST.password * 4) return false; // a tampered row must not make us burn memory
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(secret, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A new random secret for a device: 24 bytes, URL-safe, shown once to the technician. */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

const KEYED = 'hmac-sha256';
const KEYED_PREFIX = `${KEYED}$`;
const MIN_KEY_BYTES = 32;

/**
 * What a device secret check found: `match`; `match_legacy` (right, but stored as an old scrypt
 * hash: store a new one); `mismatch`; `other_key` (stored under another server key: the key was
 * changed or lost, so every such device needs a new secret).
 */
export type SecretCheck = 'match' | 'match_legacy' | 'mismatch' | 'other_key';

/**
 * Device and service-account secrets, checked with a keyed hash: HMAC-SHA-256 under a server key,
 * of a per-secret salt and the secret, stored as `hmac-sha256$keyId$salt$mac`.
 *
 * Why not scrypt, as for people: a device secret is 192 random bits (`newSecret()`), so a slow
 * hash adds nothing against guessing it, while a broker restart makes every home reconnect at
 * once, and each scrypt check costs a millisecond of CPU. The server key is what keeps a stolen
 * database useless: without it nobody can test a guess offline at all. The key never lives in the
 * database (see `loadDeviceSecretKey`); `keyId` (a short hash of the key) only tells which key a
 * row was made with, so a lost key is reported as such instead of as wrong secrets.
 */
export class DeviceSecretHasher {
  private readonly keyId: string;
  /** checked when a user name is unknown, so refusing it costs what refusing a known one does */
  private readonly dummy: string;
  private readonly keyed: KeyedMac;

  constructor(key: Buffer) {
    if (key.length < MIN_KEY_BYTES)
      throw new Error(`the device secret key needs ${MIN_KEY_BYTES} bytes or more`);
    this.keyed = new KeyedMac(key);
    this.keyId = createHash('sha256')
      .update('tryghed device secret key id:')
      .update(key)
      .digest('hex')
      .slice(0, 8);
    this.dummy = this.hash(newSecret());
  }

  /** A key of its own for this process only: for tests and tools; hashes die with the process. */
  static ephemeral(): DeviceSecretHasher {
    return new DeviceSecretHasher(randomBytes(MIN_KEY_BYTES));
  }

  hash(secret: string): string {
    const salt = randomBytes(16);
    return `${KEYED}$${this.keyId}$${salt.toString('base64url')}$${this.keyed.of(salt, secret).toString('base64url')}`;
  }

  /**
   * Checks a secret against a stored hash, in constant time. Without a stored hash (an unknown
   * user name) it checks against a dummy, so an unknown name takes as long to refuse as a known one.
   */
  async verify(secret: string, stored: string | undefined): Promise<SecretCheck> {
    return (
      this.verifyNow(secret, stored) ?? ((await verifySecret(secret, stored!)) ? 'match_legacy' : 'mismatch')
    );
  }

  /**
   * `verify` without a promise, for every hash but an old scrypt one (null: use `verify`). A
   * reconnect storm checks one secret per connect, so the usual case costs no promise and no turn.
   */
  verifyNow(secret: string, stored: string | undefined): SecretCheck | null {
    if (stored?.startsWith('scrypt$')) return null;
    const hash = stored ?? this.dummy;
    // `hmac-sha256$keyId$salt$mac`, its fields found in place (no split, nothing decoded into new buffers)
    const k = KEYED_PREFIX.length;
    const s = hash.startsWith(KEYED_PREFIX) ? hash.indexOf('$', k) + 1 : 0;
    const m = s > k + 1 ? hash.indexOf('$', s) + 1 : 0;
    if (m <= s + 1 || m >= hash.length || hash.includes('$', m)) {
      this.verifyDummy(secret);
      return 'mismatch';
    }
    const equal = this.keyed.matches(hash.slice(s, m - 1), secret, hash.slice(m));
    if (s - 1 - k !== this.keyId.length || !hash.startsWith(this.keyId, k)) return 'other_key';
    return equal && stored !== undefined ? 'match' : 'mismatch';
  }

  private verifyDummy(secret: string): void {
    const [, , salt, mac] = this.dummy.split('$');
    this.keyed.matches(salt ?? '', secret, mac ?? '');
  }
}

/** The key file under DATA_DIR, made on the first start when DEVICE_SECRET_KEY is not set. */
export const DEVICE_SECRET_KEY_FILE = 'device-secret.key';

/** DEVICE_SECRET_KEY's text: 64+ hex digits, or base64/base64url of 32+ bytes; null if neither. */
export function parseDeviceSecretKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^(?:[0-9a-fA-F]{2}){32,}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return null;
  const key = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  return key.length >= MIN_KEY_BYTES ? key : null;
}

export class DeviceSecretKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeviceSecretKeyError';
  }
}

/**
 * The server key for device secrets: the setting when given (from a secret store, say), otherwise
 * `DATA_DIR/device-secret.key`, created with 32 random bytes and mode 0600 on the first start.
 * `warnings` says what an operator should fix (a key file others can read).
 */
export function loadDeviceSecretKey(o: { setting: string; dataDir: string }): {
  key: Buffer;
  source: 'setting' | 'file' | 'created';
  path: string | null;
  warnings: string[];
} {
  if (o.setting) {
    const key = parseDeviceSecretKey(o.setting);
    // never quote the value: it is the key
    if (!key) throw new DeviceSecretKeyError('DEVICE_SECRET_KEY must be 32 or more bytes, as hex or base64');
    return { key, source: 'setting', path: null, warnings: [] };
  }
  const path = join(o.dataDir, DEVICE_SECRET_KEY_FILE);
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new DeviceSecretKeyError(`cannot read the device secret key ${path}`, { cause: err });
  }
  if (text === null) {
    mkdirSync(o.dataDir, { recursive: true });
    const key = randomBytes(MIN_KEY_BYTES);
    try {
      // 'wx': never overwrite a key another process made a moment ago
      writeFileSync(path, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600); // the umask may have widened nothing, but be explicit
      return { key, source: 'created', path, warnings: [] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DeviceSecretKeyError(`cannot create the device secret key ${path}`, { cause: err });
      text = readFileSync(path, 'utf8');
    }
  }
  const key = parseDeviceSecretKey(text);
  if (!key)
    throw new DeviceSecretKeyError(`${path} does not hold a device secret key (32+ bytes, hex or base64)`);
  const warnings: string[] = [];
  if ((statSync(path).mode & 0o077) !== 0)
    warnings.push(`${path} can be read by other users: chmod 600 it (it verifies every device's secret)`);
  return { key, source: 'file', path, warnings };
}
