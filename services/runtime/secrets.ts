import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// Stored as `scrypt$N$r$p$salt$hash` so parameters can be raised later.
// - `password` (people): N=2^14, r=8: ~30 ms and 16 MiB per check, OWASP's minimum for scrypt,
//   because people choose guessable passwords.
// - `device`: N=2^10: ~1 ms. Device secrets are 192 random bits made by `newSecret()`, so the work
//   factor adds nothing against guessing, while 140,000 homes reconnecting after a broker restart
//   must not cost 70 CPU-minutes of hashing.
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
