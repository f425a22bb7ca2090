import { afterEach, describe, expect, it } from 'vitest';
import type { ConsentCategory, SensorKind } from '../services/domain/index.ts';
import { NightRound } from '../services/night-round/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;

const MIN = 60_000;
/** 22:00 in Copenhagen (winter, UTC+1) */
const EVENING = Date.UTC(2026, 0, 5, 21, 0);
/** the 23:00 round of that evening, as an instant */
const ROUND_23 = Date.UTC(2026, 0, 5, 22, 0);
const ALL: ConsentCategory[] = ['sleep', 'activity', 'door', 'environment'];
const KINDS: SensorKind[] = ['bed', 'motion', 'door', 'temperature', 'heartbeat'];

let f: Fixture;
let round: NightRound;

async function setup(o: { kinds?: SensorKind[]; categories?: ConsentCategory[] } = {}) {
  f = await servicesFixture(EVENING);
  await f.home('h1', o.kinds ?? KINDS);
  for (const c of o.categories ?? ALL) await f.setConsent('h1', c, 'night_round');
  round = await load();
  await round.setTimes('h1', ['23:00', '02:00'], 'staff-1');
}

function load() {
  return NightRound.load({
    store: f.store,
    registry: f.registry,
    consent: f.consent,
    raise: (c) => f.alerts.raise(c),
    events: f.events,
    clock: f.clock,
    logger: silentLogger(),
    metrics: f.metrics,
    lookWithinMs: 15 * MIN,
  }).then((r) => {
    r.start(30_000);
    return r;
  });
}

/** a reading of the home's one device, heard now */
function send(kind: SensorKind, value: number) {
  f.events.emit('device/heard', { deviceId: 'h1-dev', at: f.clock.now() });
  f.events.emit('reading/accepted', f.reading('h1', kind, value));
}

/** the home's device says it is alive (its heartbeat), as it does every report interval */
function heartbeat() {
  f.events.emit('device/heard', { deviceId: 'h1-dev', at: f.clock.now() });
}

async function missedAlerts() {
  return (await f.store.alerts.list({ limit: 100 })).filter((a) => a.rule === 'night_round_missed');
}

afterEach(async () => {
  round?.stop();
  await f?.close();
});

describe('the night round', () => {
  it('lists a home at its round time, on the home’s clock, and says when the next round is before that', async () => {
    await setup();
    expect(await round.round(['h1'])).toEqual([]);
    expect(round.next(['h1'])).toEqual({ at: ROUND_23, time: '23:00', homes: 1 });
    await f.clock.advanceAsync(ROUND_23 - EVENING);
    const [h] = await round.round(['h1']);
    expect(h?.home.id).toBe('h1');
    expect(h?.occurrence.roundAt).toBe(ROUND_23);
    expect(h?.status).toBe('due');
  });

  it('sums up only what was consented to: in bed since, door closed, temperature; "alt roligt"', async () => {
    await setup();
    await f.clock.advanceAsync(30 * MIN); // 22:30
    send('bed', 1);
    send('door', 0);
    send('temperature', 21.5);
    await f.clock.advanceAsync(ROUND_23 - f.clock.now() + 5 * MIN);
    heartbeat();
    const [h] = await round.round(['h1']);
    expect(h?.summary.mark).toBe('calm');
    expect(h?.summary.reasons).toEqual([]);
    const bed = h?.summary.lines.find((l) => l.kind === 'bed');
    expect(bed).toMatchObject({ state: 'in_bed', since: EVENING + 30 * MIN });
    expect(h?.summary.lines.find((l) => l.kind === 'door')?.state).toBe('door_closed');
    expect(h?.summary.lines.find((l) => l.kind === 'temperature')).toMatchObject({ value: 21.5 });
    // movement was consented to but never reported: nothing happened, not "no data"
    expect(h?.summary.lines.find((l) => l.kind === 'motion')?.state).toBe('nothing_reported');
  });

  it('marks "se nærmere" with the stated reasons: door open, too cold, out of bed at night without movement', async () => {
    await setup();
    await f.clock.advanceAsync(ROUND_23 - EVENING + 10 * MIN);
    send('door', 1);
    send('temperature', 16.4);
    send('bed', 1);
    let [h] = await round.round(['h1']);
    expect(h?.summary.mark).toBe('check');
    expect(h?.summary.reasons.map((r) => r.code).sort()).toEqual(['cold', 'door_open']);
    send('door', 0);
    send('temperature', 20);
    // 01:10: out of bed, movement at 01:15, then nothing; at 02:20 (65 min still) it is a reason
    const oneTen = Date.UTC(2026, 0, 6, 0, 10);
    await f.clock.advanceAsync(oneTen - f.clock.now());
    send('bed', 0);
    await f.clock.advanceAsync(5 * MIN);
    send('motion', 1);
    await f.clock.advanceAsync(55 * MIN); // 02:10: 55 min still
    heartbeat();
    [h] = await round.round(['h1']);
    expect(h?.occurrence.time).toBe('02:00');
    expect(h?.summary.mark).toBe('calm');
    expect(h?.summary.lines.find((l) => l.kind === 'bed')).toMatchObject({
      state: 'out_of_bed',
      since: oneTen,
    });
    await f.clock.advanceAsync(10 * MIN); // 02:20: 65 min
    heartbeat();
    [h] = await round.round(['h1']);
    expect(h?.summary.mark).toBe('check');
    expect(h?.summary.reasons).toEqual([
      { code: 'out_of_bed_still', kind: 'bed', since: oneTen, value: null },
    ]);
  });

  it('says "ingen data" honestly when a consented sensor is silent or missing, and marks it', async () => {
    await setup({ kinds: ['door', 'heartbeat'], categories: ['sleep', 'door'] });
    await f.clock.advanceAsync(ROUND_23 - EVENING);
    send('door', 0);
    let [h] = await round.round(['h1']);
    // no bed sensor in the home at all
    expect(h?.summary.lines.find((l) => l.kind === 'bed')).toMatchObject({
      state: 'no_data',
      sensorPresent: false,
    });
    expect(h?.summary.reasons.map((r) => r.code)).toEqual(['no_data']);
    // the door sensor falls silent (nothing heard for more than 2.5 × its report interval)
    const device = f.registry.device('h1-dev');
    await f.clock.advanceAsync((device?.reportIntervalS ?? 300) * 2500 + MIN);
    [h] = await round.round(['h1']);
    expect(h?.summary.lines.find((l) => l.kind === 'door')).toMatchObject({
      state: 'no_data',
      sensorPresent: true,
    });
  });

  it('re-lists a home nobody looked at after N minutes, escalates after 2N once, also across a restart', async () => {
    await setup();
    await f.clock.advanceAsync(ROUND_23 - EVENING);
    await f.clock.advanceAsync(14 * MIN);
    expect((await round.round(['h1']))[0]?.status).toBe('due');
    await f.clock.advanceAsync(1 * MIN);
    expect((await round.round(['h1']))[0]?.status).toBe('relisted');
    expect(await missedAlerts()).toHaveLength(0);
    await f.clock.advanceAsync(15 * MIN); // the tick at 2N raises the alert
    await round.tick();
    const alerts = await missedAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ homeId: 'h1', audience: 'care', severity: 'high', state: 'open' });
    expect(alerts[0]?.legalBasis?.basis).toBe('own_consent');
    expect((await round.round(['h1']))[0]?.status).toBe('escalated');
    // ticks later and a new process over the same store raise nothing more for this round
    await f.clock.advanceAsync(5 * MIN);
    round.stop();
    round = await load();
    await round.tick();
    await f.clock.advanceAsync(MIN);
    expect(await missedAlerts()).toHaveLength(1);
  });

  it('records a look on the open round only; a looked-at home is neither re-listed nor escalated', async () => {
    await setup();
    await f.clock.advanceAsync(ROUND_23 - EVENING + 4 * MIN);
    await expect(round.look('h1', ROUND_23 - 86_400_000, { id: 's1', role: 'staff' })).rejects.toMatchObject({
      code: 'conflict',
    });
    const looked = await round.look('h1', ROUND_23, { id: 's1', role: 'staff' });
    expect(looked.status).toBe('looked');
    expect(looked.looks).toMatchObject([{ lookedBy: 's1', lookedAt: ROUND_23 + 4 * MIN }]);
    await f.clock.advanceAsync(40 * MIN);
    await round.tick();
    expect((await round.round(['h1']))[0]?.status).toBe('looked');
    expect(await missedAlerts()).toHaveLength(0);
    // the next round is a round of its own
    await f.clock.advanceAsync(Date.UTC(2026, 0, 6, 1, 0) - f.clock.now());
    expect((await round.round(['h1']))[0]).toMatchObject({ status: 'due', occurrence: { time: '02:00' } });
  });

  it('takes a home off the very next listing when night-round consent is withdrawn, and forgets what it kept', async () => {
    await setup({ categories: ['sleep'] });
    await f.clock.advanceAsync(ROUND_23 - EVENING);
    send('bed', 1);
    expect(await round.round(['h1'])).toHaveLength(1);
    await f.setConsent('h1', 'sleep', 'night_round', 'withdraw');
    expect(await round.round(['h1'])).toEqual([]);
    await expect(round.look('h1', ROUND_23, { id: 's1', role: 'staff' })).rejects.toMatchObject({
      code: 'conflict',
    });
    await f.clock.advanceAsync(MIN);
    expect((await f.store.nightRound.allLatest()).filter((l) => l.homeId === 'h1')).toEqual([]);
    // nor is it escalated
    await f.clock.advanceAsync(40 * MIN);
    await round.tick();
    expect(await missedAlerts()).toHaveLength(0);
    // a reading while withdrawn is not kept for the round
    send('bed', 0);
    expect((await f.store.nightRound.allLatest()).filter((l) => l.homeId === 'h1')).toEqual([]);
  });

  it('keeps nothing for a category consented to for alerts but not for the night round', async () => {
    await setup({ categories: ['sleep'] });
    await f.setConsent('h1', 'door', 'alerts');
    await f.clock.advanceAsync(ROUND_23 - EVENING);
    send('door', 1);
    send('bed', 1);
    await f.clock.advanceAsync(MIN);
    const kept = (await f.store.nightRound.allLatest()).map((l) => l.kind);
    expect(kept).toEqual(['bed']);
    const [h] = await round.round(['h1']);
    expect(h?.summary.lines.map((l) => l.kind)).toEqual(['bed']);
  });
});
