import type { ConsentRegistry } from '../consent/index.ts';
import type { AlertCandidate, Home, Reading, RuleKind, SensorKind, Severity } from '../domain/index.ts';
import type { DeviceFacts, PlatformBus } from '../events/index.ts';
import type { HomeOwnership, ShardsGained, ShardsLost } from '../ownership/index.ts';
import type { Registry } from '../registry/index.ts';
import type { Clock, Logger, Metrics, Timer } from '../runtime/index.ts';
import { CoWatch } from './co.ts';
import { DeviceOfflineWatch, mergeOfflineByHome } from './device-offline.ts';
import { DoorNightWatch } from './door-night.ts';
import { type Firing, type HomeContext, iso } from './firing.ts';
import { InactivityWatch } from './inactivity.ts';
import { LowBatteryWatch } from './low-battery.ts';
import { OutOfBedWatch } from './out-of-bed.ts';
import type { PersistedRule, RuleStateStore } from './persist.ts';
import { type HomeRuleSettings, parseHomeRuleSettings } from './settings.ts';
import { TemperatureWatch } from './temperature.ts';

export interface RuleEngineOptions {
  registry: Registry;
  consent: ConsentRegistry;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** `start()` listens here for readings, devices heard, and devices changed or removed */
  events: PlatformBus;
  onCandidate: (candidate: AlertCandidate) => void;
  /**
   * At most this many device-offline timers are looked at per tick (default 5,000): a mass outage
   * is spread over ticks so the process stays responsive for the next critical alert.
   */
  offlinePerTick?: number;
  /**
   * The store, where rule state is kept across a restart (its `ruleState`, which the rules own).
   * Changes are written together after each tick, never one write per reading; `restore()` loads
   * it before `start()`. Without it, rule state lives in memory only.
   */
  store?: { readonly ruleState: RuleStateStore };
  /**
   * Which homes this process runs the rules for (several processes on one store, issue 9 point 4).
   * Without it, every home. With it, readings of other homes are only kept a while (to replay them
   * if their shard is taken over), state is loaded per shard gained and dropped per shard lost, and
   * nothing is raised unless the lease is confirmed (`owns`). Call `follow()` after `start()`.
   */
  ownership?: HomeOwnership;
  /** how long (ms) readings of homes owned elsewhere are kept for a takeover; default 20,000 */
  replayWindowMs?: number;
}

/** readings of other processes' homes kept at most (oldest dropped first); alarms apart */
const MAX_KEPT_READINGS = 100_000;
const MAX_KEPT_ALARMS = 10_000;
/** candidates held back while our lease waits for confirmation */
const MAX_HELD_BACK = 10_000;
/**
 * A takeover replays readings received from this long before the previous owner's watermark (its
 * last beat or its release): what it had not yet saved, and the clocks of two machines.
 */
const REPLAY_MARGIN_MS = 2000;

/**
 * Rules that fire on one reading of 1, at once; the alert service keeps one open alert per home
 * and rule and counts the rest as repeats.
 */
const IMMEDIATE: Partial<Record<SensorKind, { rule: RuleKind; severity: Severity; summary: string }>> = {
  alarm_button: { rule: 'alarm_button', severity: 'critical', summary: 'Alarm button pressed' },
  fall: { rule: 'fall', severity: 'critical', summary: 'Fall detected' },
  smoke: { rule: 'smoke', severity: 'critical', summary: 'Smoke detected' },
  water_leak: { rule: 'water_leak', severity: 'high', summary: 'Water detected' },
};

function immediateFiring(
  reading: Reading,
  immediate: { rule: RuleKind; severity: Severity; summary: string },
): Firing {
  return {
    rule: immediate.rule,
    homeId: reading.homeId,
    deviceId: reading.deviceId,
    category: reading.category,
    severity: immediate.severity,
    audience: 'care',
    at: reading.receivedAt,
    evidence: {
      readings: [{ deviceId: reading.deviceId, kind: reading.kind, value: reading.value, ts: reading.ts }],
      summary: `${immediate.summary} at ${iso(reading.ts)}`,
    },
  };
}

const DEFAULTS = (parseHomeRuleSettings({}) as { ok: true; settings: HomeRuleSettings }).settings;

/**
 * Turns readings into alert candidates, only inside the home's `alerts` consent for the reading's
 * category, judged at the moment of raising, so a withdrawal stops the very next one. Technical
 * rules (device_offline, low_battery) need no consent and reach technicians only.
 *
 * Work per reading is O(1) map look-ups; every timer sits in a min-heap, so a tick touches only
 * what is due. Nothing scans all homes or devices except once at `start()`.
 */
export class RuleEngine {
  private readonly inactivity: InactivityWatch;
  private readonly temperature: TemperatureWatch;
  private readonly doorNight: DoorNightWatch;
  private readonly outOfBed: OutOfBedWatch;
  private readonly offline: DeviceOfflineWatch;
  private readonly co = new CoWatch();
  private readonly battery = new LowBatteryWatch();
  /** state of a technician's test readings in real homes, apart from the citizen's */
  private readonly testCo = new CoWatch();
  private readonly testBattery = new LowBatteryWatch();
  private readonly settings = new WeakMap<Home, HomeRuleSettings>();
  /**
   * Test alerts raised only because a device was in test mode, per home and rule, until that test
   * mode ends: then each is handed to care staff unless the technician cleared it (a real leak that
   * began during a test must not stay a test alert for ever). In memory: a restart forgets them.
   */
  private readonly underTest = new Map<string, { deviceId: string; candidate: AlertCandidate }>();
  private timer: Timer | undefined;
  private tickIntervalMs = 0;
  /** the clock's monotonic time of the last tick: the tick runs on the injected clock, so its lag is judged by it */
  private lastTickAt = 0;
  private started = false;
  /** what `start()` subscribed to, undone by `stop()` in reverse order */
  private readonly unsubscribe: Array<() => void> = [];
  private readonly candidates;
  private readonly suppressed;
  /** the rules whose state is kept, by the name their rows carry */
  private readonly persisted = new Map<string, PersistedRule>();
  /** "rule\0key" of state changed since the last save */
  private dirty = new Set<string>();
  private saving: Promise<void> | null = null;
  /** shards whose homes are run here (with `ownership`); loaded and not being let go */
  private readonly activeShards = new Set<number>();
  /** readings of homes not run here, newest last, for a takeover to replay */
  private kept: Reading[] = [];
  private keptAlarms: Reading[] = [];
  /** candidates raised while the lease waited for confirmation */
  private heldBack: AlertCandidate[] = [];
  private readonly replayed;
  private readonly keptDropped;

  constructor(private readonly o: RuleEngineOptions) {
    const homeContext: HomeContext = (homeId) => {
      const home = o.registry.home(homeId);
      return home ? { settings: this.settingsOf(home), timeZone: home.timezone } : null;
    };
    this.inactivity = new InactivityWatch((homeId) => {
      const home = homeContext(homeId);
      return home ? { settings: home.settings.inactivity, timeZone: home.timeZone } : null;
    });
    this.temperature = new TemperatureWatch(homeContext);
    this.doorNight = new DoorNightWatch(homeContext, (homeId) => this.motionCounts(homeId));
    this.outOfBed = new OutOfBedWatch(homeContext);
    this.offline = new DeviceOfflineWatch((id) => o.registry.device(id));
    for (const rule of [
      this.inactivity,
      this.temperature,
      this.doorNight,
      this.outOfBed,
      this.offline,
      this.co,
      this.battery,
    ] as PersistedRule[]) {
      this.persisted.set(rule.rule, rule);
      if (o.store) rule.changed = (key) => this.dirty.add(`${rule.rule}\u0000${key}`);
    }
    this.candidates = o.metrics.counter(
      'tryghed_rules_candidates_total',
      'Alert candidates raised by rules',
      ['rule'],
    );
    this.suppressed = o.metrics.counter(
      'tryghed_rules_suppressed_total',
      'Rule firings not raised, by reason',
      ['rule', 'reason'],
    );
    this.replayed = o.metrics.counter(
      'tryghed_rules_replayed_total',
      'Readings replayed after a shard of homes was taken over',
    );
    this.keptDropped = o.metrics.counter(
      'tryghed_rules_replay_dropped_total',
      'Readings of homes run elsewhere dropped from the takeover buffer for room',
    );
  }

  /** whether this process runs the home's rules now (every home without `ownership`) */
  private runs(homeId: string): boolean {
    const own = this.o.ownership;
    return !own || this.activeShards.has(own.shardOf(homeId));
  }

  /** A device was heard from (any well-formed reading, consented or not): it is not offline. */
  deviceHeard(deviceId: string, receivedAt: number): void {
    const device = this.o.ownership ? this.o.registry.device(deviceId) : undefined;
    if (device && !this.runs(device.homeId)) return;
    this.offline.heard(deviceId, Math.min(receivedAt, this.o.clock.now()));
  }

  onReading(reading: Reading): void {
    if (!this.runs(reading.homeId)) {
      this.keep(reading);
      return;
    }
    this.judge(reading);
  }

  private judge(reading: Reading): void {
    const home = this.o.registry.home(reading.homeId);
    if (!home || !this.o.registry.device(reading.deviceId)) return;
    // Platform time: a device clock ahead of ours must not move timers (or windows) forward.
    const at = Math.min(reading.receivedAt, this.o.clock.now());
    if (reading.test && !home.test) {
      this.onTestReading(reading, home, at);
      return;
    }
    // a test reading was made by the platform: it says nothing about the device being alive
    if (!reading.test) this.offline.heard(reading.deviceId, at);
    const immediate = IMMEDIATE[reading.kind];
    if (immediate) {
      if (reading.value >= 1) this.raise(immediateFiring(reading, immediate));
      return;
    }
    switch (reading.kind) {
      case 'co':
        this.raise(this.co.reading(reading, at, this.settingsOf(home).co));
        return;
      case 'battery':
        this.raise(this.battery.reading(reading, at, this.settingsOf(home).lowBattery));
        return;
      case 'temperature':
        this.temperature.reading(reading, at);
        return;
      case 'door':
        this.doorNight.door(reading, at);
        return;
      case 'bed':
        this.outOfBed.bed(reading, at);
        return;
      case 'motion':
        if (reading.value >= 1) {
          this.inactivity.motion(reading.homeId, at);
          this.doorNight.motion(reading, at);
        }
        return;
      default:
        return;
    }
  }

  tick(): void {
    const now = this.o.clock.now();
    if (this.heldBack.length > 0) this.retryHeldBack();
    for (const due of this.inactivity.due(now)) {
      const home = this.o.registry.home(due.homeId);
      if (!home) continue;
      const { minutes } = this.settingsOf(home).inactivity;
      this.raise({
        rule: 'inactivity',
        homeId: due.homeId,
        deviceId: null,
        category: 'activity',
        severity: 'high',
        audience: 'care',
        at: now,
        evidence: {
          readings: [],
          thresholds: {
            minutes,
            window: `${due.window.start}-${due.window.end}`,
            timezone: home.timezone,
            since: due.since,
          },
          summary: `No motion for ${minutes} minutes (since ${iso(due.since)}) inside the daytime window ${due.window.start}-${due.window.end}`,
        },
      });
    }
    for (const firing of this.temperature.due(now)) this.raise(firing);
    for (const firing of this.doorNight.due(now)) this.raise(firing);
    for (const firing of this.outOfBed.due(now)) this.raise(firing);
    const silent = this.offline.due(now, this.o.offlinePerTick ?? 5000);
    if (this.underTest.size > 0) this.handOver(now);
    const testing = (id: string) =>
      this.o.registry.device(id)?.test === true || this.o.registry.deviceTestUntil(id, now) !== null;
    for (const firing of mergeOfflineByHome(silent, testing)) this.raise(firing);
    if (this.dirty.size > 0 && !this.saving) void this.saveState();
  }

  /**
   * Loads the rule state kept in the store (call before `start()`): a door open at night, a spell
   * under way, a battery already reported, each home's inactivity clock, each device's last heard
   * time go on from where they were. Reads every row once, in pages: O(rows), about one row per
   * watched device and home plus one per condition under way. Returns how many rows were taken.
   */
  async restore(): Promise<number> {
    const { logger } = this.o;
    const state = this.o.store?.ruleState;
    if (!state) return 0;
    let taken = 0;
    let bad = 0;
    for await (const page of state.all()) {
      for (const row of page) {
        const rule = this.persisted.get(row.rule);
        try {
          if (!rule) throw new Error('unknown rule');
          rule.restore(row.key, row.homeId, JSON.parse(row.state));
          taken++;
        } catch (err) {
          bad++;
          // a row this version cannot read is dropped (with the next save), not trusted
          if (rule) this.dirty.add(`${row.rule}\u0000${row.key}`);
          logger.error({ err, rule: row.rule }, 'rule state not restored');
        }
      }
    }
    logger.info({ rows: taken, bad }, 'rule state restored');
    return taken;
  }

  /**
   * Writes what changed since the last save, in one transaction; one save at a time. A failed save
   * keeps its keys for the next one.
   */
  async saveState(): Promise<void> {
    const state = this.o.store?.ruleState;
    if (!state) return;
    while (this.saving) await this.saving;
    if (this.dirty.size === 0) return;
    const keys = this.dirty;
    this.dirty = new Set();
    const now = this.o.clock.now();
    const put: Parameters<RuleStateStore['save']>[0] = [];
    const remove: Parameters<RuleStateStore['save']>[1] = [];
    const own = this.o.ownership;
    for (const entry of keys) {
      const cut = entry.indexOf('\u0000');
      const name = entry.slice(0, cut);
      const key = entry.slice(cut + 1);
      const snap = this.persisted.get(name)?.snapshot(key);
      const homeId = snap?.homeId ?? this.homeOfKey(name, key);
      const shard = own && homeId !== undefined ? { shard: own.shardOf(homeId) } : {};
      if (snap)
        put.push({
          rule: name,
          key,
          homeId: snap.homeId,
          state: JSON.stringify(snap.state),
          updatedAt: now,
          ...shard,
        });
      else remove.push({ rule: name, key, ...shard });
    }
    const fence = own ? { owner: own.owner, epochs: new Map(own.epochs()) } : undefined;
    this.saving = state
      .save(put, remove, fence)
      .then((skipped) => {
        if (skipped > 0)
          this.o.logger.warn({ rows: skipped }, 'rule state of shards no longer held was not written');
      })
      .catch((err: unknown) => {
        for (const k of keys) this.dirty.add(k);
        this.o.logger.error({ err, rows: keys.size }, 'could not save rule state; kept for the next try');
      })
      .finally(() => {
        this.saving = null;
      });
    await this.saving;
  }

  /** the names of the rules whose state is kept (the `rule` of their rows) */
  keptRules(): string[] {
    return [...this.persisted.keys()];
  }

  /**
   * What the kept rules hold about the home now, as it would be written (the home's key and its
   * devices'): for checking that an erasure left nothing of the home's readings behind.
   */
  stateOf(homeId: string): Array<{ rule: string; key: string; state: unknown }> {
    const keys = [homeId, ...this.o.registry.devicesOfHome(homeId).map((d) => d.id)];
    const held: Array<{ rule: string; key: string; state: unknown }> = [];
    for (const rule of this.persisted.values())
      for (const key of keys) {
        const snap = rule.snapshot(key);
        if (snap?.homeId === homeId) held.push({ rule: rule.rule, key, state: snap.state });
      }
    return held;
  }

  /**
   * An erasure request: forgets what the rules hold about the home's readings, in memory and in the
   * store. Conditions under way (a door open at night, someone out of bed, a cold spell, a CO or
   * battery level already raised, a technician's test readings' levels) go with their timers and
   * will not raise; the inactivity clock and the devices' last-heard times count again from now, as
   * for a home just provisioned. Then every `rule_state` row of the home is removed, after any save
   * in flight and before the next one, so nothing forgotten is written back or comes back at a
   * restart. Alerts already raised are the care record and stay, and so do the test alerts waiting
   * to be handed to care staff when test mode ends. A store that fails throws (the erasure fails).
   */
  async forgetHome(homeId: string): Promise<void> {
    while (this.saving) await this.saving;
    const now = this.o.clock.now();
    const deviceIds = this.o.registry.devicesOfHome(homeId).map((d) => d.id);
    for (const rule of [...this.persisted.values(), this.testCo, this.testBattery])
      rule.forgetHome(homeId, now, deviceIds);
    // changes not yet written for the home would write back a row; its watches go on in memory
    const keys = new Set([homeId, ...deviceIds]);
    for (const entry of this.dirty)
      if (keys.has(entry.slice(entry.indexOf('\u0000') + 1))) this.dirty.delete(entry);
    // readings kept for a takeover would bring the erased readings back when replayed
    this.kept = this.kept.filter((r) => r.homeId !== homeId);
    this.keptAlarms = this.keptAlarms.filter((r) => r.homeId !== homeId);
    const state = this.o.store?.ruleState;
    if (!state) return;
    const removed = state.removeHome(homeId);
    // saves wait for the removal; its failure is the erasure's to report, not theirs
    this.saving = removed
      .catch(() => undefined)
      .finally(() => {
        this.saving = null;
      });
    await removed;
  }

  /**
   * Begins watching what exists now and listening on the bus (readings, devices heard, devices
   * changed or removed); with `tickIntervalMs`, ticks on a timer too (tests tick by hand).
   */
  start(tickIntervalMs?: number): void {
    if (this.started) return;
    this.started = true;
    const { registry, clock, events, logger } = this.o;
    // Watch every home that has a motion sensor, and every sensor, from now, so a restart does not
    // make anyone "inactive since forever", and a home or device silent since the start is still
    // noticed. Gateways are left out: they publish for their sensors, which are watched themselves.
    const now = clock.now();
    this.watchFrom(
      registry.allHomes().filter((home) => this.runs(home.id)),
      now,
    );
    this.unsubscribe.push(
      events.on('device/changed', (device) => {
        try {
          this.watchDevice(device, clock.now());
        } catch (err) {
          logger.error({ err, deviceId: device.id }, 'could not watch a device');
        }
      }),
      // a removed device is forgotten at once, not only when its timer comes due
      events.on('device/access-ended', ({ deviceId, reason }) => {
        if (reason === 'removed') this.offline.forget(deviceId);
      }),
      events.on('device/heard', ({ deviceId, at }) => this.deviceHeard(deviceId, at)),
      events.on('reading/accepted', (reading) => this.onReading(reading)),
      // an erasure carried out through another process is told here by the platform's follower
      // (platform/erasure-follow.ts), from the event or from the store after an outage
    );
    if (tickIntervalMs === undefined) return;
    this.tickIntervalMs = tickIntervalMs;
    this.lastTickAt = this.o.clock.monotonic();
    this.timer = this.o.clock.setInterval(() => {
      this.lastTickAt = this.o.clock.monotonic();
      try {
        this.tick();
      } catch (err) {
        this.o.logger.error({ err }, 'rule tick failed');
      }
    }, tickIntervalMs);
    this.timer.unref();
  }

  /**
   * Whether a large share of all devices is silent at once (at least half of at least 20 watched):
   * then the fault is most likely ours or the network's, not the homes' — the platform cannot hear
   * its sensors, so alerts they would raise cannot come.
   */
  devicesSilent(): boolean {
    const { watched, silent } = this.offline.silence();
    return watched >= 20 && silent * 2 >= watched;
  }

  /** how late the timer tick is now, in ms (0 when on time or not started); for platform health */
  tickLagMs(): number {
    if (!this.timer) return 0;
    return Math.max(0, this.o.clock.monotonic() - this.lastTickAt - this.tickIntervalMs);
  }

  /** Stops the timer, then leaves the bus (reverse order of `start`); not started again after. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const off of this.unsubscribe.splice(0).reverse()) off();
  }

  private watchDevice(device: DeviceFacts, since: number): void {
    if (device.role === 'sensor' && this.runs(device.homeId)) this.offline.watch(device, since);
  }

  /** watches these homes' motion and sensors from `now`, where nothing was kept for them */
  private watchFrom(homes: Iterable<Home>, now: number): void {
    const { registry } = this.o;
    for (const home of homes) {
      const devices = registry.devicesOfHome(home.id);
      if (!this.inactivity.watching(home.id) && devices.some((d) => d.kinds.includes('motion')))
        this.inactivity.motion(home.id, now);
      for (const device of devices) this.watchDevice(device, now);
    }
  }

  /** the home a state key belongs to: inactivity is kept per home, the rest per device */
  private homeOfKey(rule: string, key: string): string | undefined {
    return rule === this.inactivity.rule ? key : this.o.registry.device(key)?.homeId;
  }

  /**
   * Follows the ownership: shards gained are loaded (their state from the store, their readings
   * kept meanwhile replayed), shards lost are saved and forgotten. Returns the way to stop.
   */
  follow(): () => void {
    const own = this.o.ownership;
    if (!own) return () => {};
    const off = own.watch({
      gained: (c) => this.gain(c),
      lost: (c) => this.lose(c),
      confirmed: () => {
        if (this.heldBack.length > 0) this.retryHeldBack();
      },
    });
    this.unsubscribe.push(off);
    return off;
  }

  private async gain({ shards, handledUntil }: ShardsGained): Promise<void> {
    const own = this.o.ownership!;
    const taken = new Set(shards);
    const homes = this.o.registry.allHomes().filter((h) => taken.has(own.shardOf(h.id)));
    const state = this.o.store?.ruleState;
    let rows = 0;
    if (state && homes.length > 0) {
      for (const row of await state.ofHomes(homes.map((h) => h.id))) {
        const rule = this.persisted.get(row.rule);
        try {
          if (!rule) throw new Error('unknown rule');
          rule.drop(row.key);
          rule.restore(row.key, row.homeId, JSON.parse(row.state));
          rows++;
        } catch (err) {
          this.o.logger.error({ err, rule: row.rule }, 'rule state not restored');
        }
      }
    }
    // From here to the end nothing awaits: no reading slips between the replay and going live.
    for (const shard of shards) this.activeShards.add(shard);
    this.watchFrom(homes, this.o.clock.now());
    const from = handledUntil === null ? Number.NEGATIVE_INFINITY : handledUntil - REPLAY_MARGIN_MS;
    const replay = [...this.keptAlarms, ...this.kept]
      .filter((r) => taken.has(own.shardOf(r.homeId)) && r.receivedAt >= from)
      .sort((a, b) => a.receivedAt - b.receivedAt);
    const mine = (r: Reading) => taken.has(own.shardOf(r.homeId));
    this.kept = this.kept.filter((r) => !mine(r));
    this.keptAlarms = this.keptAlarms.filter((r) => !mine(r));
    for (const reading of replay) this.judge(reading);
    this.replayed.inc(replay.length);
    this.o.logger.info(
      { shards: shards.length, homes: homes.length, rows, replayed: replay.length },
      'homes taken over',
    );
    // a deadline that passed during the takeover fires now, not a tick later
    this.tick();
  }

  private async lose({ shards, evicted }: ShardsLost): Promise<void> {
    const own = this.o.ownership!;
    for (const shard of shards) this.activeShards.delete(shard);
    const gone = new Set(shards);
    const isGone = (homeId: string | undefined) => homeId !== undefined && gone.has(own.shardOf(homeId));
    // handed over: what changed is written first (under the epoch still held), for the next owner
    if (!evicted) await this.saveState();
    for (const entry of [...this.dirty]) {
      const cut = entry.indexOf('\u0000');
      if (isGone(this.homeOfKey(entry.slice(0, cut), entry.slice(cut + 1)))) this.dirty.delete(entry);
    }
    const homes = this.o.registry.allHomes().filter((h) => gone.has(own.shardOf(h.id)));
    for (const home of homes) {
      this.inactivity.drop(home.id);
      for (const device of this.o.registry.devicesOfHome(home.id)) {
        for (const rule of this.persisted.values()) rule.drop(device.id);
        this.testCo.drop(device.id);
        this.testBattery.drop(device.id);
      }
    }
    for (const [key, entry] of this.underTest) if (isGone(entry.candidate.homeId)) this.underTest.delete(key);
    this.heldBack = this.heldBack.filter((c) => !isGone(c.homeId));
    this.o.logger.info({ shards: shards.length, homes: homes.length, evicted }, 'homes let go');
  }

  /** a reading of a home run elsewhere, kept a while in case its shard comes here */
  private keep(reading: Reading): void {
    const cutoff = this.o.clock.now() - (this.o.replayWindowMs ?? 20_000);
    const alarm = IMMEDIATE[reading.kind] !== undefined || reading.kind === 'co';
    const list = alarm ? this.keptAlarms : this.kept;
    list.push(reading);
    let old = 0;
    while (old < list.length && list[old]!.receivedAt < cutoff) old++;
    const over = Math.max(0, list.length - old - (alarm ? MAX_KEPT_ALARMS : MAX_KEPT_READINGS));
    if (over > 0) this.keptDropped.inc(over);
    if (old + over > 0) list.splice(0, old + over);
  }

  /** what was held back while the lease waited: raised once it is confirmed, dropped if the home went */
  private retryHeldBack(): void {
    const own = this.o.ownership;
    const waiting = this.heldBack;
    this.heldBack = [];
    for (const candidate of waiting) {
      if (!this.runs(candidate.homeId)) continue;
      if (own && !own.owns(candidate.homeId)) this.heldBack.push(candidate);
      else this.o.onCandidate(candidate);
    }
  }

  /**
   * Whether door_night asks for motion inside after the door closed: only where the home has a
   * motion sensor and the citizen lets activity data raise alerts. Without that consent motion
   * readings are not used for alerts at all, so closing the door has to be enough.
   */
  private motionCounts(homeId: string): boolean {
    return (
      this.o.consent.allows(homeId, 'activity', 'alerts') &&
      this.o.registry.devicesOfHome(homeId).some((d) => d.kinds.includes('motion'))
    );
  }

  /**
   * A technician's test reading in a real home is judged by the rules that decide on one reading
   * (the immediate ones; CO and low battery on their own state) and raises test alerts only. It
   * feeds no timer or state of the citizen's rules (inactivity, temperature spells, door at night,
   * out of bed, device offline, CO re-fire), so a test can neither raise nor hide a real alert.
   */
  private onTestReading(reading: Reading, home: Home, at: number): void {
    const immediate = IMMEDIATE[reading.kind];
    if (immediate) {
      if (reading.value >= 1) this.raise(immediateFiring(reading, immediate), true);
    } else if (reading.kind === 'co') {
      this.raise(this.testCo.reading(reading, at, this.settingsOf(home).co), true);
    } else if (reading.kind === 'battery') {
      this.raise(this.testBattery.reading(reading, at, this.settingsOf(home).lowBattery), true);
    }
  }

  private raise(firing: Firing | null, testReading = false): void {
    if (!firing) return;
    const { rule, homeId } = firing;
    if (firing.audience === 'care' && !this.o.consent.allows(homeId, firing.category, 'alerts')) {
      this.suppressed.inc({ rule, reason: 'no_consent' });
      return;
    }
    // Test mode (a technician testing a citizen's home or device, for a limited time) makes what
    // the tested devices raise a test alert, except a critical one: the citizen may really have
    // fallen or pressed the button, so it reaches care staff, marked as raised during test mode.
    // A condition without a device (inactivity) is never a test's doing.
    const testModeUntil =
      firing.deviceId !== null ? this.o.registry.deviceTestUntil(firing.deviceId, this.o.clock.now()) : null;
    const bornTest = this.bornTest(homeId, firing.deviceId);
    const test = testReading || bornTest || (testModeUntil !== null && firing.severity !== 'critical');
    // a test alert only because of test mode (not a test reading, not a test home or device)
    const byTestMode = test && testModeUntil !== null && !testReading && !bornTest;
    const evidence =
      testModeUntil !== null && (!test || byTestMode)
        ? { ...firing.evidence, testMode: { until: testModeUntil } }
        : firing.evidence;
    const candidate: AlertCandidate = {
      homeId,
      rule,
      category: firing.category,
      severity: firing.severity,
      audience: firing.audience,
      at: firing.at,
      evidence,
      ...(test ? { test: true } : {}),
    };
    if (byTestMode && firing.deviceId !== null)
      this.underTest.set(`${homeId}\u0000${rule}`, { deviceId: firing.deviceId, candidate });
    this.candidates.inc({ rule });
    // A process paused past its lease must not act on it: the candidate waits until the lease is
    // confirmed again, and is dropped if the home went to another process (which replays the reading).
    if (this.o.ownership && !this.o.ownership.owns(homeId)) {
      if (this.heldBack.length < MAX_HELD_BACK) this.heldBack.push(candidate);
      else this.suppressed.inc({ rule, reason: 'lease_unconfirmed' });
      return;
    }
    this.o.onCandidate(candidate);
  }

  private bornTest(homeId: string, deviceId: string | null): boolean {
    return (
      this.o.registry.home(homeId)?.test === true ||
      (deviceId !== null && this.o.registry.device(deviceId)?.test === true)
    );
  }

  /** Test mode over: what it made a test alert goes to care staff, unless it was cleared meanwhile. */
  private handOver(now: number): void {
    for (const [key, { deviceId, candidate }] of this.underTest) {
      if (this.o.registry.deviceTestUntil(deviceId, now) !== null) continue;
      this.underTest.delete(key);
      const { test: _test, ...real } = candidate;
      this.o.onCandidate({ ...real, at: now, handover: true });
    }
  }

  private settingsOf(home: Home): HomeRuleSettings {
    let settings = this.settings.get(home);
    if (!settings) {
      const parsed = parseHomeRuleSettings(home.settings);
      if (!parsed.ok) {
        // Settings are validated when they are saved; a bad row falls back to the defaults, loudly.
        this.o.logger.error(
          { homeId: home.id, issues: parsed.issues },
          'invalid rule settings; using defaults',
        );
      }
      settings = parsed.ok ? parsed.settings : DEFAULTS;
      this.settings.set(home, settings);
    }
    return settings;
  }
}
