import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlarmStepMessage, alarmStepChannel } from '../services/runtime/index.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

describe('an alert says when it was raised and written (for the bench), only to a subscriber', () => {
  let f: Fixture;
  const heard: AlarmStepMessage[] = [];
  const listener = (m: unknown) => heard.push(m as AlarmStepMessage);
  beforeEach(async () => {
    f = await servicesFixture();
    await f.home('h', ['fall']);
    await f.setConsent('h', 'emergency', 'alerts');
    heard.length = 0;
  });
  afterEach(async () => {
    unsubscribe('tryghed:alarm-step', listener);
    await f.close();
  });

  const fall = () => ({
    homeId: 'h',
    rule: 'fall' as const,
    category: 'emergency' as const,
    severity: 'critical' as const,
    audience: 'care' as const,
    at: f.clock.now(),
    evidence: {
      readings: [{ deviceId: 'h-dev', kind: 'fall' as const, value: 1, ts: f.clock.now() }],
      summary: 'Fall',
    },
  });

  it('raised, then written once the row is committed; the home id and a time, nothing else', async () => {
    expect(alarmStepChannel.hasSubscribers).toBe(false);
    subscribe('tryghed:alarm-step', listener);
    const alert = await f.alerts.raise(fall());
    expect(heard.map((m) => m.step)).toEqual(['raised', 'written']);
    expect(heard.every((m) => m.homeId === 'h' && typeof m.at === 'number')).toBe(true);
    expect(Object.keys(heard[0]!).sort()).toEqual(['at', 'homeId', 'step']);
    expect(heard[1]!.at).toBeGreaterThanOrEqual(heard[0]!.at);
    // written means in the store
    expect((await f.alerts.list({ states: ['open'] })).map((a) => a.id)).toEqual([alert!.id]);
  });
});
