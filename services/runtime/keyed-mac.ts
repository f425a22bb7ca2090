import * as crypto from 'node:crypto';

/** SHA-256's block: the key is padded to it (or hashed first, when longer) */
const BLOCK = 64;
const DIGEST = 32;
/** a 32-byte digest as unpadded base64url text, as the hashes are stored */
const DIGEST_TEXT_LENGTH = 43;
/** the longest salt (base64url text: 64 bytes) and message (UTF-16 units: ≤ 3 UTF-8 bytes each) checked in place */
const MAX_SALT_TEXT = 86;
const MAX_MESSAGE_UNITS = 85;

/**
 * SHA-256's constants (FIPS 180-4, 4.2.2 and 5.3.3): the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes, and of the square roots of the first 8. Computed, then
 * checked against OpenSSL below.
 */
const PRIMES = (() => {
  const out: number[] = [];
  for (let n = 2; out.length < 64; n++) if (out.every((p) => n % p !== 0)) out.push(n);
  return out;
})();
const fraction32 = (x: number) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
const ROUND = Int32Array.from(PRIMES, (p) => fraction32(Math.cbrt(p)));
const INITIAL = Int32Array.from(PRIMES.slice(0, 8), (p) => fraction32(Math.sqrt(p)));

/** SHA-256's compression of one 64-byte block at `at` into `state`; `w` is scratch (64 words) */
function compress(state: Int32Array, bytes: Uint8Array, at: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = at + 4 * i;
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + ROUND[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/**
 * Ends a message of `length` bytes in `bytes` (which has room) with SHA-256's padding, for a hash
 * that absorbed `before` bytes ahead of it; returns how many bytes are to be compressed.
 */
function pad(bytes: Uint8Array, length: number, before: number): number {
  const end = Math.ceil((length + 9) / BLOCK) * BLOCK;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, end);
  const bits = (before + length) * 8;
  // at most a few hundred bytes here: the length fits the last four bytes
  bytes[end - 4] = bits >>> 24;
  bytes[end - 3] = (bits >>> 16) & 0xff;
  bytes[end - 2] = (bits >>> 8) & 0xff;
  bytes[end - 1] = bits & 0xff;
  return end;
}

/** the state after one block: the padded key's, absorbed once */
function stateAfter(block: Uint8Array, w: Int32Array): Int32Array {
  const state = Int32Array.from(INITIAL);
  compress(state, block, 0, w);
  return state;
}

/** SHA-256 of a short text by the code above, for the check against OpenSSL */
function digestHere(data: Buffer): Buffer {
  const bytes = new Uint8Array(Math.ceil((data.length + 9) / BLOCK) * BLOCK);
  bytes.set(data);
  const end = pad(bytes, data.length, 0);
  const state = Int32Array.from(INITIAL);
  const w = new Int32Array(64);
  for (let at = 0; at < end; at += BLOCK) compress(state, bytes, at, w);
  const out = Buffer.alloc(DIGEST);
  for (let i = 0; i < 8; i++) out.writeInt32BE(state[i]!, 4 * i);
  return out;
}

/**
 * Whether the code above makes SHA-256 as OpenSSL does (messages of 0 to 3 blocks); if it ever did
 * not, every check would go the ordinary way (`createHmac`), with the right answers.
 */
export const SHA256_HERE_AGREES = [0, 3, 55, 56, 63, 64, 65, 119, 120, 191].every((n) => {
  const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff));
  return digestHere(data).equals(crypto.createHash('sha256').update(data).digest());
});

/**
 * HMAC-SHA-256 under one fixed key, of a salt and a message: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ salt ‖
 * message)) (RFC 2104), as `createHmac` makes it.
 *
 * `matches` is the check a device's CONNECT makes, so a reconnect storm makes it once per device.
 * Measured in place (the bench's connects, the platform beside bare aedes), OpenSSL's HMAC costs
 * far more per check than its four compressions: a hash object or a native call per hash, result
 * buffers, on caches cold from the rest of the connect. Here SHA-256 runs in this file on arrays
 * kept for the purpose: the states after the padded key's two blocks (K ⊕ ipad, K ⊕ opad) are
 * computed once, so a check of a usual secret is two compressions and no allocation. The salt,
 * message and expected MAC are decoded into kept buffers, and they and the scratch words are
 * zeroed after each check, so no secret stays in them. SHA-256's steps do not depend on the data,
 * and the MACs are compared in constant time. One check at a time: it is synchronous.
 */
export class KeyedMac {
  /** salt ‖ message, then SHA-256's padding: what the inner hash absorbs after K ⊕ ipad */
  private readonly data = Buffer.alloc(Math.ceil((64 + 3 * MAX_MESSAGE_UNITS + 9) / BLOCK) * BLOCK);
  /** the inner digest, then padding: the outer hash's one block after K ⊕ opad */
  private readonly last = Buffer.alloc(BLOCK);
  /** the MAC computed and the one expected, compared in place */
  private readonly actual = Buffer.alloc(DIGEST);
  private readonly expected = Buffer.alloc(DIGEST + 3);
  private readonly expectedDigest = this.expected.subarray(0, DIGEST);
  private readonly innerStart: Int32Array;
  private readonly outerStart: Int32Array;
  private readonly state = new Int32Array(8);
  private readonly words = new Int32Array(64);

  constructor(private readonly key: Buffer) {
    const padded = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? crypto.createHash('sha256').update(key).digest() : key).copy(padded);
    const block = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) block[i] = padded[i]! ^ 0x36;
    this.innerStart = stateAfter(block, this.words);
    for (let i = 0; i < BLOCK; i++) block[i] = padded[i]! ^ 0x5c;
    this.outerStart = stateAfter(block, this.words);
    padded.fill(0);
    block.fill(0);
    this.words.fill(0);
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
      !SHA256_HERE_AGREES ||
      saltText.length > MAX_SALT_TEXT ||
      message.length > MAX_MESSAGE_UNITS ||
      expectedText.length !== DIGEST_TEXT_LENGTH
    )
      return this.matchesAnyShape(saltText, message, expectedText);
    const { data, last, state, words } = this;
    try {
      // bounded above: at most 64 salt bytes, then at most 3 bytes per UTF-16 unit of the message
      const salt = data.write(saltText, 0, 'base64url');
      const length = salt + data.write(message, salt, 'utf8');
      const end = pad(data, length, BLOCK);
      state.set(this.innerStart);
      for (let at = 0; at < end; at += BLOCK) compress(state, data, at, words);
      for (let i = 0; i < 8; i++) last.writeInt32BE(state[i]!, 4 * i);
      pad(last, DIGEST, BLOCK);
      state.set(this.outerStart);
      compress(state, last, 0, words);
      for (let i = 0; i < 8; i++) this.actual.writeInt32BE(state[i]!, 4 * i);
      // 43 characters are 32 bytes, fewer only if some are not base64url: then it cannot match
      const decoded = this.expected.write(expectedText, 0, 'base64url');
      return decoded === DIGEST && crypto.timingSafeEqual(this.expectedDigest, this.actual);
    } finally {
      data.fill(0);
      last.fill(0);
      state.fill(0);
      words.fill(0);
      this.actual.fill(0);
      this.expected.fill(0);
    }
  }

  private matchesAnyShape(saltText: string, message: string, expectedText: string): boolean {
    const expected = Buffer.from(expectedText, 'base64url');
    const actual = this.of(Buffer.from(saltText, 'base64url'), message);
    return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
  }
}
