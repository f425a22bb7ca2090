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

  it('counts IPv6 by its /64 and IPv4-mapped addresses as IPv4', () => {
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe(sourceOf('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(sourceOf('2001:db8:1:2::1')).not.toBe(sourceOf('2001:db8:1:3::1'));
    expect(sourceOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('unknown');
  });
});
