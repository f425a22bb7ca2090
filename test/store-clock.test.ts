import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../services/runtime/index.ts';
import { openStore, type Store } from '../services/store/index.ts';
import { tempDir } from './harness/index.ts';

describe('the store stamps time with the clock it is given', () => {
  let store: Store | undefined;
  const dir = tempDir();
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  afterAll(() => dir.remove());

  it('a home, device or user created without a time gets the injected clock, not the wall clock', async () => {
    const clock = new ManualClock(Date.UTC(2031, 4, 6, 7, 8, 9));
    store = await openStore({ sqlitePath: `${dir.path}/clock.sqlite` }, { clock });
    await store.teams.create({ id: 't', name: 'T' });
    const home = await store.homes.create({
      id: 'h',
      label: 'H',
      teamId: 't',
      timezone: 'Europe/Copenhagen',
      settings: {},
      test: false,
    });
    expect(home.createdAt).toBe(clock.now());
    clock.advance(60_000);
    const [device] = await store.devices.createMany([
      { id: 'd', homeId: 'h', role: 'sensor', kinds: ['motion'], secretHash: 'x', test: false },
    ]);
    expect(device?.createdAt).toBe(clock.now());
    // control: the wall clock is years away from this one, so a Date.now() stamp would differ
    expect(Math.abs(Date.now() - clock.now())).toBeGreaterThan(86_400_000);
  });
});
