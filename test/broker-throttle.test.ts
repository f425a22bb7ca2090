import { describe, expect, it } from 'vitest';
import { AuthThrottle, sourceOf } from '../broker/auth-throttle.ts';
import { ManualClock } from '../services/runtime/index.ts';

describe('wrong-secret throttle: bounded, and no lock-out of a real device from elsewhere', () => {
  const options = { pairLimit: 3, idLimit: 10, addressLimit: 6, lockMs: 60_000, maxEntries: 100 };

  it('remembers at most maxEntries ids, addresses and pairs, however many an attacker tries', () => {
    const throttle = new AuthThrottle(() => 0, options);
    for (let i = 0; i < 10_000; i++) throttle.failed(`id-${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    const size = throttle.size();
    expect(size.ids).toBeLessThanOrEqual(100);
    expect(size.addresses).toBeLessThanOrEqual(100);
    expect(size.pairs).toBeLessThanOrEqual(100);
  });

  it('an address that fails across many ids is refused for every id for a while; other addresses are not', () => {
    const clock = new ManualClock(0);
    const throttle = new AuthThrottle(() => clock.now(), options);
    for (let i = 0; i < 6; i++) throttle.failed(`guess-${i}`, '198.51.100.7');
    expect(throttle.check('real-device', '198.51.100.7').allowed).toBe(false);
    expect(throttle.check('real-device', '198.51.100.8').allowed).toBe(true);
    clock.advance(60_000);
    expect(throttle.check('real-device', '198.51.100.7').allowed).toBe(true);
  });

  it('refused attempts do not extend a lock, and a lock served starts the count again', () => {
    const clock = new ManualClock(0);
    const throttle = new AuthThrottle(() => clock.now(), options);
    for (let i = 0; i < 3; i++) throttle.failed('d1', '192.0.2.1');
    const verdict = throttle.check('d1', '192.0.2.1');
    expect(verdict).toEqual({ allowed: false, until: 60_000, first: true });
    expect(throttle.check('d1', '192.0.2.1')).toEqual({ allowed: false, until: 60_000, first: false });
    clock.advance(59_999);
    expect(throttle.check('d1', '192.0.2.1').allowed).toBe(false);
    clock.advance(1);
    expect(throttle.check('d1', '192.0.2.1').allowed).toBe(true);
    throttle.failed('d1', '192.0.2.1');
    expect(throttle.check('d1', '192.0.2.1').allowed).toBe(true);
  });

  it('watches addresses only while it remembers a failure: then an attempt needs no address, and after lockMs it forgets', () => {
    const clock = new ManualClock(0);
    const throttle = new AuthThrottle(() => clock.now(), options);
    const ids = ['d1', 'd2', 'guess'];
    const addresses = ['192.0.2.1', '192.0.2.2', '198.51.100.7'];
    // the caller skips the address whenever the throttle is not watching: every attempt from any
    // address must then be allowed, at every step below
    const unwatchedAllowsAll = () => {
      if (throttle.watching()) return;
      for (const id of ids) for (const a of addresses) expect(throttle.check(id, a).allowed).toBe(true);
    };
    expect(throttle.watching()).toBe(false);
    for (let i = 0; i < 3; i++) throttle.failed('d1', '192.0.2.1'); // that pair locked
    expect(throttle.watching()).toBe(true);
    expect(throttle.check('d1', '192.0.2.1').allowed).toBe(false);
    clock.advance(30_000);
    for (let i = 0; i < 6; i++) throttle.failed(`guess-${i}`, '198.51.100.7'); // that address locked
    unwatchedAllowsAll();
    clock.advance(30_000); // the pair's lock is over and a minute has passed since its last failure
    unwatchedAllowsAll();
    expect(throttle.watching()).toBe(true); // the address failed only 30 s ago
    expect(throttle.size().pairs).toBe(6); // the forgotten pair is dropped; the guesses' stay
    expect(throttle.check('d2', '198.51.100.7').allowed).toBe(false);
    clock.advance(29_999);
    expect(throttle.watching()).toBe(true);
    unwatchedAllowsAll();
    clock.advance(1);
    expect(throttle.watching()).toBe(false);
    expect(throttle.size()).toMatchObject({ pairs: 0, addresses: 0 });
    unwatchedAllowsAll();
  });

  it('counts IPv6 by its /64 and IPv4-mapped addresses as IPv4', () => {
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe(sourceOf('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(sourceOf('2001:db8:1:2::1')).not.toBe(sourceOf('2001:db8:1:3::1'));
    expect(sourceOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('unknown');
  });
});
