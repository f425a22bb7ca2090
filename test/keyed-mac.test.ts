import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeviceSecretHasher, KeyedMac, newSecret } from '../services/runtime/index.ts';
import { SHA256_HERE_AGREES } from '../services/runtime/keyed-mac.ts';

const reference = (key: Buffer, salt: Buffer, message: string) =>
  createHmac('sha256', key).update(salt).update(message, 'utf8').digest();

describe('KeyedMac: HMAC-SHA-256 under one key, checked in place', () => {
  // 85 UTF-16 units is the longest message checked in place; 86 goes the ordinary way
  const messages = [
    '',
    newSecret(),
    'Æblegrød på 3. sal ✓',
    '🚨 alarm',
    '\uD800 a lone surrogate',
    'x'.repeat(85),
    '€'.repeat(85),
    'x'.repeat(86),
    'y'.repeat(500),
  ];
  // longer than SHA-256's 64-byte block: the key is hashed first (RFC 2104)
  const keys = [32, 64, 65, 100].map((n) => randomBytes(n));
  // 64 bytes is the longest salt decoded in place
  const salts = [0, 16, 64, 65].map((n) => randomBytes(n));

  it('matches exactly what createHmac makes, for every key length, salt and message', () => {
    for (const key of keys) {
      const mac = new KeyedMac(key);
      for (const salt of salts)
        for (const message of messages) {
          const right = reference(key, salt, message);
          expect(mac.of(salt, message).equals(right)).toBe(true);
          const saltText = salt.toString('base64url');
          expect(mac.matches(saltText, message, right.toString('base64url'))).toBe(true);
          // one unit more or less in the message, another salt, another MAC: no
          expect(mac.matches(saltText, `${message}.`, right.toString('base64url'))).toBe(false);
          expect(
            mac.matches(randomBytes(16).toString('base64url'), message, right.toString('base64url')),
          ).toBe(false);
          const flipped = Buffer.from(right);
          flipped[31]! ^= 1;
          expect(mac.matches(saltText, message, flipped.toString('base64url'))).toBe(false);
        }
    }
  });

  it('a MAC that is not 43 base64url characters is judged as decoded: padding is fine, junk and truncation are not', () => {
    const key = randomBytes(32);
    const mac = new KeyedMac(key);
    const salt = randomBytes(16);
    const right = reference(key, salt, 'secret');
    const text = right.toString('base64url');
    expect(mac.matches(salt.toString('base64url'), 'secret', `${text}=`)).toBe(true);
    expect(mac.matches(salt.toString('base64url'), 'secret', text.slice(0, 42))).toBe(false);
    expect(mac.matches(salt.toString('base64url'), 'secret', `${text.slice(0, 42)}!`)).toBe(false);
    expect(mac.matches(salt.toString('base64url'), 'secret', '')).toBe(false);
  });

  it('keeps nothing of a secret after a check: its buffers and scratch words are zeroed', () => {
    const key = randomBytes(32);
    const mac = new KeyedMac(key);
    const salt = randomBytes(16);
    const secret = newSecret();
    const held = mac as unknown as Record<'data' | 'last' | 'actual' | 'expected', Buffer> &
      Record<'state' | 'words' | 'innerStart' | 'outerStart', Int32Array>;
    const innerStart = Int32Array.from(held.innerStart);
    for (const right of [true, false]) {
      const expected = right ? reference(key, salt, secret) : randomBytes(32);
      expect(mac.matches(salt.toString('base64url'), secret, expected.toString('base64url'))).toBe(right);
      for (const name of ['data', 'last', 'actual', 'expected', 'state', 'words'] as const)
        expect(held[name].every((b) => b === 0)).toBe(true);
    }
    // the states after the padded key stay: they are what makes the next check cheap
    expect(held.innerStart).toEqual(innerStart);
    expect(held.innerStart.some((w) => w !== 0)).toBe(true);
    expect(held.outerStart.some((w) => w !== 0)).toBe(true);
  });

  it('computes SHA-256 itself as OpenSSL does, for every length it checks in place', () => {
    expect(SHA256_HERE_AGREES).toBe(true);
    // every salt length 0..64 and message length 0..85 (ASCII, so bytes = units), and UTF-8 of
    // every width up to 255 bytes: each crossing of a block and of the padding's room is met
    const key = randomBytes(32);
    const mac = new KeyedMac(key);
    for (let saltBytes = 0; saltBytes <= 64; saltBytes += 1)
      for (let units = 0; units <= 85; units += saltBytes % 7 === 0 ? 1 : 13) {
        const salt = randomBytes(saltBytes);
        const message = randomBytes(units).toString('base64url').slice(0, units).padEnd(units, 'x');
        const right = reference(key, salt, message).toString('base64url');
        expect(mac.matches(salt.toString('base64url'), message, right)).toBe(true);
      }
    for (const unit of ['a', 'æ', '€', '🚨'])
      for (let n = 1; n * unit.length <= 85; n += 3) {
        const salt = randomBytes(64);
        const message = unit.repeat(n);
        const right = reference(key, salt, message).toString('base64url');
        expect(mac.matches(salt.toString('base64url'), message, right)).toBe(true);
      }
  });
});

describe('DeviceSecretHasher reads a stored hash in place', () => {
  it('a hash that is not four fields of the keyed kind is a mismatch, never a match', () => {
    const hasher = DeviceSecretHasher.ephemeral();
    const secret = newSecret();
    const stored = hasher.hash(secret);
    const [scheme, keyId, salt, mac] = stored.split('$');
    expect(hasher.verifyNow(secret, stored)).toBe('match');
    for (const broken of [
      `${stored}$more`,
      `${scheme}$$${salt}$${mac}`,
      `${scheme}$${keyId}$$${mac}`,
      `${scheme}$${keyId}$${salt}$`,
      `${scheme}$${keyId}$${salt}`,
      `hmac-sha512$${keyId}$${salt}$${mac}`,
      '',
    ])
      expect(hasher.verifyNow(secret, broken)).toBe('mismatch');
    // another key id of the same length, or another length: stored under another key
    expect(hasher.verifyNow(secret, `${scheme}$00000000$${salt}$${mac}`)).toBe(
      keyId === '00000000' ? 'match' : 'other_key',
    );
    expect(hasher.verifyNow(secret, `${scheme}$${keyId}0$${salt}$${mac}`)).toBe('other_key');
  });
});
