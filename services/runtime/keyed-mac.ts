import * as crypto from 'node:crypto';

/** SHA-256's block: the key is padded to it (or hashed first, when longer) */
const BLOCK = 64;
const DIGEST = 32;
/** a 32-byte digest as unpadded base64url text, as the hashes are stored */
const DIGEST_TEXT_LENGTH = 43;
/** the longest salt (base64url text: 64 bytes) and message (UTF-16 units: ≤ 3 UTF-8 bytes each) checked in place */
const MAX_SALT_TEXT = 86;
const MAX_MESSAGE_UNITS = 85;

/** SHA-256 in one call: no hash object (Node ≥ 20.12), else the usual object */
const sha256: (data: Buffer) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

/**
 * HMAC-SHA-256 under one fixed key, of a salt and a message: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ salt ‖
 * message)) (RFC 2104), as `createHmac` makes it.
 *
 * `matches` is the check a device's CONNECT makes, so a reconnect storm makes it once per device.
 * Measured in place (the bench's connects, the platform beside bare aedes), `createHmac` with the
 * salt and stored MAC decoded into new buffers cost ~18 µs more per connect than this: a hash
 * object, its native handle and three buffers per check, on caches cold from the rest of the
 * connect. Here the padded key is made once, the salt, message and expected MAC are decoded into
 * buffers kept for the purpose, and the two hashes are one-shot calls. The buffers are zeroed after
 * each check, so no secret stays in them. One check at a time: it is synchronous.
 */
export class KeyedMac {
  /** (K ⊕ ipad) ‖ salt ‖ message */
  private readonly inner = Buffer.alloc(BLOCK + 64 + 3 * MAX_MESSAGE_UNITS);
  /** (K ⊕ opad) ‖ inner digest ‖ the expected MAC */
  private readonly outer = Buffer.alloc(BLOCK + DIGEST + DIGEST);

  constructor(private readonly key: Buffer) {
    const padded = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? sha256(key) : key).copy(padded);
    for (let i = 0; i < BLOCK; i++) {
      this.inner[i] = padded[i]! ^ 0x36;
      this.outer[i] = padded[i]! ^ 0x5c;
    }
    padded.fill(0);
  }

  /** HMAC-SHA-256(key, salt ‖ message), the message as UTF-8 */
  of(salt: Buffer, message: string): Buffer {
    return crypto.createHmac('sha256', this.key).update(salt).update(message, 'utf8').digest();
  }

  /**
   * Whether HMAC-SHA-256(key, salt ‖ message) is `expected`, compared in constant time; the salt
   * and the MAC as stored (base64url text). Text of any other shape (padding, a longer salt or
   * message) is decoded and checked the ordinary way, with the same answer.
   */
  matches(saltText: string, message: string, expectedText: string): boolean {
    if (
      saltText.length > MAX_SALT_TEXT ||
      message.length > MAX_MESSAGE_UNITS ||
      expectedText.length !== DIGEST_TEXT_LENGTH
    )
      return this.matchesAnyShape(saltText, message, expectedText);
    const { inner, outer } = this;
    try {
      // bounded above: at most 64 salt bytes, then at most 3 bytes per UTF-16 unit of the message
      const salt = inner.write(saltText, BLOCK, 'base64url');
      const length = inner.write(message, BLOCK + salt, 'utf8');
      sha256(inner.subarray(0, BLOCK + salt + length)).copy(outer, BLOCK);
      const actual = sha256(outer.subarray(0, BLOCK + DIGEST));
      // 43 characters are 32 bytes, fewer only if some are not base64url: then it cannot match
      const expected = outer.write(expectedText, BLOCK + DIGEST, 'base64url');
      return expected === DIGEST && crypto.timingSafeEqual(outer.subarray(BLOCK + DIGEST), actual);
    } finally {
      inner.fill(0, BLOCK);
      outer.fill(0, BLOCK);
    }
  }

  private matchesAnyShape(saltText: string, message: string, expectedText: string): boolean {
    const expected = Buffer.from(expectedText, 'base64url');
    const actual = this.of(Buffer.from(saltText, 'base64url'), message);
    return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
  }
}
