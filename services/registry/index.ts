import {
  type Device,
  type DeviceId,
  type DeviceRole,
  type Home,
  type HomeId,
  HomeId as HomeIdSchema,
  type PowerOfAttorney,
  type SensorKind,
} from '../domain/index.ts';
import {
  createPlatformBus,
  type DeviceAccessEnd,
  deviceFacts,
  markOrigin,
  type PlatformBus,
} from '../events/index.ts';
import { People } from '../people/index.ts';
import {
  conflict,
  DeviceSecretHasher,
  type FieldIssue,
  newSecret,
  notFound,
  type SecretCheck,
  silentLogger,
  TryghedError,
} from '../runtime/index.ts';
import type { Store } from '../store/index.ts';

/** What checking a device's secret found; `device` only when the secret is right. */
export type DeviceSecretCheck =
  | { ok: true; device: Device; upgraded: boolean }
  | { ok: false; reason: 'unknown_device' | 'wrong_secret' | 'other_key' };

/** One device to provision in bulk. */
export interface NewDeviceInput {
  id: DeviceId;
  homeId: HomeId;
  kinds: SensorKind[];
  role?: DeviceRole;
  test?: boolean;
  reportIntervalS?: number;
}

/** What is in test mode in a home: the home itself until `until`, and devices each until theirs. */
export interface TestMode {
  homeId: HomeId;
  until: number | null;
  devices: Array<{ id: DeviceId; until: number }>;
}

/**
 * The registry owns homes, devices and powers of attorney; it reads users and teams through
 * `services/people`, built on the same store.
 */
export type RegistryTables = Pick<Store, 'homes' | 'devices' | 'powersOfAttorney' | 'users' | 'teams'>;

/**
 * Homes and devices, cached in memory so the hot path (every reading) looks them up in O(1)
 * without touching the database. All changes go through here, so the cache stays true.
 * (Several processes sharing one database will need change notifications; see docs/architecture.md.)
 */
export class Registry {
  private readonly homes = new Map<HomeId, Home>();
  private readonly devices = new Map<DeviceId, Device>();
  private readonly devicesByHome = new Map<HomeId, Set<DeviceId>>();
  private readonly homesByTeam = new Map<string, Set<HomeId>>();
  /** relative's user id → the homes they hold an active, verified power of attorney for */
  private readonly attorneyHomes = new Map<string, Set<HomeId>>();
  /** homes whose own test mode or a device's was set; entries past their end are dropped lazily */
  private readonly testModeHomeIds = new Set<HomeId>();

  /** users and teams are not the registry's tables: it asks their owner */
  private readonly people: People;

  private constructor(
    private readonly store: RegistryTables,
    private readonly secrets: DeviceSecretHasher,
    private readonly events: PlatformBus,
  ) {
    this.people = new People(store);
  }

  /**
   * `deviceSecrets` holds the server key device secrets are hashed with; the platform passes the
   * one from DEVICE_SECRET_KEY or DATA_DIR. Without it the key lives only as long as this process
   * (tests and tools), so hashes it made do not verify after a restart. Changes go out on `events`
   * (`device/changed`, `device/access-ended`, `test-mode/changed`); the platform passes its one bus,
   * a tool that only reads needs none.
   */
  static async load(
    store: RegistryTables,
    options: { deviceSecrets?: DeviceSecretHasher; events?: PlatformBus } = {},
  ): Promise<Registry> {
    const registry = new Registry(
      store,
      options.deviceSecrets ?? DeviceSecretHasher.ephemeral(),
      options.events ?? createPlatformBus({ logger: silentLogger() }),
    );
    for (const home of await store.homes.list()) registry.putHome(home);
    for (const device of await store.devices.listAll()) registry.putDevice(device);
    for (const home of registry.homes.values()) {
      for (const p of await store.powersOfAttorney.listByHome(home.id))
        if (p.revokedAt === null) registry.addAttorney(p.relativeUserId, p.homeId);
    }
    return registry;
  }

  private putHome(home: Home): void {
    if (home.testUntil !== null) this.testModeHomeIds.add(home.id);
    const before = this.homes.get(home.id);
    if (before && before.teamId !== home.teamId) this.homesByTeam.get(before.teamId)?.delete(home.id);
    this.homes.set(home.id, home);
    let set = this.homesByTeam.get(home.teamId);
    if (!set) {
      set = new Set();
      this.homesByTeam.set(home.teamId, set);
    }
    set.add(home.id);
  }

  private putDevice(device: Device): void {
    if (device.testUntil !== null) this.testModeHomeIds.add(device.homeId);
    this.devices.set(device.id, device);
    let set = this.devicesByHome.get(device.homeId);
    if (!set) {
      set = new Set();
      this.devicesByHome.set(device.homeId, set);
    }
    set.add(device.id);
  }

  private addAttorney(userId: string, homeId: HomeId): void {
    let set = this.attorneyHomes.get(userId);
    if (!set) {
      set = new Set();
      this.attorneyHomes.set(userId, set);
    }
    set.add(homeId);
  }

  /**
   * Every device provisioned or changed after loading is told as `device/changed` (without its
   * secret's hash), so a part with per-device state (the rules' offline watch) knows of it without
   * scanning.
   */
  private deviceChanged(device: Device): void {
    this.events.emit('device/changed', deviceFacts(device));
  }

  /** `home/changed`: a home or its powers of attorney changed after loading (other processes read it again) */
  private homeChanged(homeId: HomeId): void {
    this.events.emit('home/changed', { homeId });
  }

  /**
   * Right after the change is stored, `device/access-ended`: a device's credentials no longer hold
   * as they did (its secret was rotated, or it was removed or moved to another home). The broker
   * closes the device's open connections on it.
   */
  private accessEnded(end: DeviceAccessEnd): void {
    this.events.emit('device/access-ended', end);
  }

  /**
   * Checks a device's secret. An unknown id is checked against a dummy hash, so it takes as long
   * to refuse as a known one. A right secret stored the old way (scrypt) is re-hashed with the
   * server key and stored, unless the secret was rotated meanwhile.
   */
  async checkDeviceSecret(id: string, secret: string): Promise<DeviceSecretCheck> {
    const device = this.devices.get(id);
    const stored = device?.secretHash;
    return this.judgeSecret(id, device, secret, await this.secrets.verify(secret, stored));
  }

  /**
   * `checkDeviceSecret` without a promise when the stored hash allows (every keyed hash: the usual
   * case); null when it needs the slow check (an old scrypt hash, to be upgraded): use
   * `checkDeviceSecret`.
   */
  checkDeviceSecretNow(id: string, secret: string): DeviceSecretCheck | null {
    const device = this.devices.get(id);
    const check = this.secrets.verifyNow(secret, device?.secretHash);
    if (check === null) return null;
    const judged = this.judgeSecret(id, device, secret, check);
    // a match needs no upgrade here (only a legacy hash is upgraded, and it never gets this far)
    return judged instanceof Promise ? null : judged;
  }

  private judgeSecret(
    id: string,
    device: Device | undefined,
    secret: string,
    check: SecretCheck,
  ): DeviceSecretCheck | Promise<DeviceSecretCheck> {
    const stored = device?.secretHash;
    if (!device) return { ok: false, reason: 'unknown_device' };
    if (check === 'other_key') return { ok: false, reason: 'other_key' };
    if (check === 'mismatch') return { ok: false, reason: 'wrong_secret' };
    // Rotated, removed or moved while the hash was being checked: the old secret no longer counts.
    const now = this.devices.get(id);
    if (!now || now.secretHash !== stored || now.homeId !== device.homeId)
      return { ok: false, reason: 'wrong_secret' };
    if (check === 'match_legacy' && stored) return this.upgradeSecretHash(id, now, stored, secret);
    return { ok: true, device: now, upgraded: false };
  }

  /** A right secret stored the old way (scrypt): stored again with the server key. */
  private async upgradeSecretHash(
    id: string,
    now: Device,
    stored: string,
    secret: string,
  ): Promise<DeviceSecretCheck> {
    const secretHash = this.secrets.hash(secret);
    if (await this.store.devices.replaceSecretHash(id, stored, secretHash)) {
      const upgraded = { ...now, secretHash };
      if (this.devices.get(id)?.secretHash === stored) this.devices.set(id, upgraded);
      return { ok: true, device: upgraded, upgraded: true };
    }
    return { ok: true, device: now, upgraded: false };
  }

  /** A service account's secret, hashed like a device's, under the same server key. */
  hashServiceSecret(secret: string): string {
    return this.secrets.hash(secret);
  }

  /** Checks a service account's secret; `stored` undefined (unknown account) costs the same. */
  checkServiceSecret(secret: string, stored: string | undefined): Promise<SecretCheck> {
    return this.secrets.verify(secret, stored);
  }

  /** `checkServiceSecret` without a promise; null when the stored hash needs the slow check */
  checkServiceSecretNow(secret: string, stored: string | undefined): SecretCheck | null {
    return this.secrets.verifyNow(secret, stored);
  }

  /** The homes a relative holds an active power of attorney for. */
  homesOfRelative(userId: string): HomeId[] {
    return [...(this.attorneyHomes.get(userId) ?? [])].filter((id) => this.homes.has(id));
  }

  hasPowerOfAttorney(userId: string, homeId: HomeId): boolean {
    return this.attorneyHomes.get(userId)?.has(homeId) ?? false;
  }

  /**
   * Records a relative's power of attorney for a citizen's home, after staff have seen and
   * verified the document (only its reference is kept).
   */
  async grantPowerOfAttorney(input: {
    relativeUserId: string;
    homeId: HomeId;
    verifiedBy: string;
    reference: string;
    at: number;
  }): Promise<PowerOfAttorney> {
    if (!this.homes.has(input.homeId)) throw notFound(`home ${input.homeId}`);
    const user = await this.people.user(input.relativeUserId);
    if (user?.role !== 'relative') throw notFound(`relative ${input.relativeUserId}`);
    if (this.hasPowerOfAttorney(input.relativeUserId, input.homeId))
      throw conflict(
        'this relative already holds a power of attorney for this home',
        'power_of_attorney_exists',
      );
    const p = await this.store.powersOfAttorney.add({
      relativeUserId: input.relativeUserId,
      homeId: input.homeId,
      verifiedBy: input.verifiedBy,
      verifiedAt: input.at,
      reference: input.reference,
    });
    this.addAttorney(p.relativeUserId, p.homeId);
    this.homeChanged(p.homeId);
    return p;
  }

  async revokePowerOfAttorney(homeId: HomeId, id: number, by: string, at: number): Promise<void> {
    const p = (await this.store.powersOfAttorney.listByHome(homeId)).find((x) => x.id === id);
    if (!p || p.revokedAt !== null) throw notFound(`active power of attorney ${id}`);
    await this.store.powersOfAttorney.revoke(id, by, at);
    this.attorneyHomes.get(p.relativeUserId)?.delete(homeId);
    this.homeChanged(homeId);
  }

  powersOfAttorney(homeId: HomeId): Promise<PowerOfAttorney[]> {
    return this.store.powersOfAttorney.listByHome(homeId);
  }

  /** the home as stored now (not the copy in memory): what a consent change is judged against */
  findHome(id: HomeId): Promise<Home | null> {
    return this.store.homes.get(id);
  }

  /** the powers of attorney a relative holds now, as stored */
  activePowersOfAttorney(userId: string): Promise<PowerOfAttorney[]> {
    return this.store.powersOfAttorney.activeForRelative(userId);
  }

  home(id: HomeId): Home | undefined {
    return this.homes.get(id);
  }

  device(id: DeviceId): Device | undefined {
    return this.devices.get(id);
  }

  homesOfTeams(teamIds: readonly string[]): Home[] {
    const out: Home[] = [];
    for (const team of new Set(teamIds))
      for (const id of this.homesByTeam.get(team) ?? []) {
        const home = this.homes.get(id);
        if (home) out.push(home);
      }
    return out;
  }

  allHomes(): Home[] {
    return [...this.homes.values()];
  }

  devicesOfHome(homeId: HomeId): Device[] {
    const ids = this.devicesByHome.get(homeId);
    if (!ids) return [];
    return [...ids].map((id) => this.devices.get(id)).filter((d): d is Device => d !== undefined);
  }

  allDevices(): IterableIterator<Device> {
    return this.devices.values();
  }

  async createHome(input: {
    id: HomeId;
    label: string;
    teamId: string;
    timezone?: string;
    settings?: Record<string, unknown>;
    test?: boolean;
  }): Promise<Home> {
    HomeIdSchema.parse(input.id);
    if (this.homes.has(input.id)) throw conflict(`home ${input.id} exists`, 'home_exists');
    if (!(await this.people.team(input.teamId))) throw notFound(`team ${input.teamId}`);
    const home = await this.store.homes.create({
      id: input.id,
      label: input.label,
      teamId: input.teamId,
      timezone: input.timezone ?? 'Europe/Copenhagen',
      settings: input.settings ?? {},
      test: input.test ?? false,
    });
    this.putHome(home);
    this.homeChanged(home.id);
    return home;
  }

  /** A home's label, team, time zone or settings. Whether it is a test home is decided at its creation. */
  async updateHome(
    id: HomeId,
    patch: Partial<Pick<Home, 'label' | 'teamId' | 'timezone' | 'settings'>>,
  ): Promise<Home> {
    if (!this.homes.has(id)) throw notFound(`home ${id}`);
    const home = await this.store.homes.update(id, patch);
    this.putHome(home);
    this.homeChanged(id);
    return home;
  }

  /** Provisions a device; the secret is returned once and only its hash is kept. */
  async provisionDevice(input: {
    id: DeviceId;
    homeId: HomeId;
    kinds: SensorKind[];
    role?: DeviceRole;
    test?: boolean;
    /** seconds between the device's regular reports (heartbeat); offline after 2.5 x this */
    reportIntervalS?: number;
  }): Promise<{ device: Device; secret: string }> {
    HomeIdSchema.parse(input.id);
    const home = this.homes.get(input.homeId);
    if (!home) throw notFound(`home ${input.homeId}`);
    if (this.devices.has(input.id)) throw conflict(`device ${input.id} exists`, 'device_exists');
    // A test device in a citizen's home would make its alerts test alerts for good: a citizen's
    // device is tested in test mode instead, which ends by itself and which staff see.
    if (input.test && !home.test)
      throw new TryghedError(
        'bad_request',
        "a device in a citizen's home is not a test device; put it in test mode for a while instead",
        { issues: [{ in: 'body', path: 'test', message: 'only in a test home', code: 'test_home_only' }] },
      );
    const secret = newSecret();
    const device = await this.store.devices.create({
      id: input.id,
      homeId: input.homeId,
      role: input.role ?? 'sensor',
      kinds: input.kinds,
      secretHash: this.secrets.hash(secret),
      test: input.test ?? false,
      ...(input.reportIntervalS !== undefined ? { reportIntervalS: input.reportIntervalS } : {}),
    });
    this.putDevice(device);
    this.deviceChanged(device);
    return { device, secret };
  }

  /**
   * Provisions many devices at once, all or none: every row is checked first (a bad one is named
   * by its index), secrets are hashed a few at a time on the thread pool, and the rows are
   * written in one transaction. Each secret is returned once; only its hash is kept.
   */
  async provisionDevices(
    inputs: ReadonlyArray<NewDeviceInput>,
  ): Promise<Array<{ device: Device; secret: string }>> {
    const issues: FieldIssue[] = [];
    const ids = new Set<DeviceId>();
    inputs.forEach((input, i) => {
      if (!HomeIdSchema.safeParse(input.id).success)
        issues.push({ path: `${i}.id`, message: 'not a valid id', code: 'invalid_format' });
      else if (this.devices.has(input.id) || ids.has(input.id))
        issues.push({ path: `${i}.id`, message: `device ${input.id} exists`, code: 'device_exists' });
      const home = this.homes.get(input.homeId);
      if (!home)
        issues.push({ path: `${i}.homeId`, message: `no home ${input.homeId}`, code: 'home_not_found' });
      // as for one device: a citizen's device is tested in test mode, never marked test for good
      else if (input.test && !home.test)
        issues.push({ path: `${i}.test`, message: 'only in a test home', code: 'test_home_only' });
      ids.add(input.id);
    });
    if (issues.length > 0) {
      throw new TryghedError(
        'bad_request',
        `${issues.length} of ${inputs.length} devices cannot be provisioned; none was`,
        {
          issues: issues.slice(0, 100),
        },
      );
    }
    const secrets = inputs.map(() => newSecret());
    // The keyed hash costs microseconds: 10,000 devices hash in well under a second, on this thread.
    const hashes = secrets.map((secret) => this.secrets.hash(secret));
    // Checked again: another request may have taken an id while we hashed.
    const taken = inputs.findIndex((input) => this.devices.has(input.id) || !this.homes.has(input.homeId));
    if (taken >= 0)
      throw conflict(
        `device ${taken} (${inputs[taken]!.id}) was taken or its home removed meanwhile; none was provisioned`,
      );
    const devices = await this.store.devices.createMany(
      inputs.map((input, i) => ({
        id: input.id,
        homeId: input.homeId,
        role: input.role ?? 'sensor',
        kinds: input.kinds,
        secretHash: hashes[i]!,
        test: input.test ?? false,
        ...(input.reportIntervalS !== undefined ? { reportIntervalS: input.reportIntervalS } : {}),
      })),
    );
    for (const device of devices) {
      this.putDevice(device);
      this.deviceChanged(device);
    }
    return devices.map((device, i) => ({ device, secret: secrets[i]! }));
  }

  /** Marks a device of a test home as test (or not) or changes its reporting interval. */
  async updateDevice(
    id: DeviceId,
    patch: Partial<Pick<Device, 'test' | 'reportIntervalS'>>,
  ): Promise<Device> {
    const current = this.devices.get(id);
    if (!current) throw notFound(`device ${id}`);
    if (patch.test && !this.homes.get(current.homeId)?.test)
      throw new TryghedError(
        'bad_request',
        "a device in a citizen's home is not a test device; put it in test mode for a while instead",
        { issues: [{ in: 'body', path: 'test', message: 'only in a test home', code: 'test_home_only' }] },
      );
    const device = await this.store.devices.update(id, patch);
    this.putDevice(device);
    this.deviceChanged(device);
    return device;
  }

  /**
   * Test mode: a technician tests a citizen's home (or one device of it) until `until`; it ends by
   * itself, judged against the caller's clock, with nothing to switch off. Null ends it now. A home
   * that is test from birth needs none. Listeners (the staff boards) hear of every change.
   */
  async setHomeTestMode(id: HomeId, until: number | null): Promise<Home> {
    if (!this.homes.has(id)) throw notFound(`home ${id}`);
    const home = await this.store.homes.update(id, { testUntil: until });
    this.putHome(home);
    this.testModeChanged(id);
    return home;
  }

  async setDeviceTestMode(id: DeviceId, until: number | null): Promise<Device> {
    if (!this.devices.has(id)) throw notFound(`device ${id}`);
    const device = await this.store.devices.update(id, { testUntil: until });
    this.putDevice(device);
    this.deviceChanged(device);
    this.testModeChanged(device.homeId);
    return device;
  }

  /** Until when the home itself is in test mode at `now`; null when it is not. */
  homeTestUntil(homeId: HomeId, now: number): number | null {
    const until = this.homes.get(homeId)?.testUntil ?? null;
    return until !== null && until > now ? until : null;
  }

  /** Until when a device is in test mode at `now`, its own or its home's (the later); null when not. */
  deviceTestUntil(deviceId: DeviceId, now: number): number | null {
    const device = this.devices.get(deviceId);
    if (!device) return null;
    const own = device.testUntil !== null && device.testUntil > now ? device.testUntil : null;
    const home = this.homeTestUntil(device.homeId, now);
    return own === null ? home : home === null ? own : Math.max(own, home);
  }

  /** The home's test mode at `now`: its own, and each device's; null when nothing is in test mode. */
  testMode(homeId: HomeId, now: number): TestMode | null {
    const until = this.homeTestUntil(homeId, now);
    const devices = this.devicesOfHome(homeId)
      .filter((d) => d.testUntil !== null && d.testUntil > now)
      .map((d) => ({ id: d.id, until: d.testUntil as number }));
    return until === null && devices.length === 0 ? null : { homeId, until, devices };
  }

  /** Every home with something in test mode at `now`; O(homes ever put in test mode since start). */
  homesInTestMode(now: number): TestMode[] {
    const out: TestMode[] = [];
    for (const id of this.testModeHomeIds) {
      const mode = this.testMode(id, now);
      if (mode) out.push(mode);
      else this.testModeHomeIds.delete(id);
    }
    return out;
  }

  /** `test-mode/changed` on every start or end of test mode set by hand (not of one running out) */
  private testModeChanged(homeId: HomeId): void {
    this.events.emit('test-mode/changed', { homeId });
  }

  /**
   * Another process changed this device (provisioned it, gave it a new secret, moved or removed
   * it; told through the broker cluster): reads it again from the store, so this process agrees.
   * `device/changed` listeners hear a device that still exists; nothing is said of one that is gone
   * (the process that removed it said so to its own parts).
   */
  async reloadDevice(id: DeviceId, origin?: string): Promise<Device | null> {
    const fresh = await this.store.devices.get(id);
    const before = this.devices.get(id);
    if (before) this.devicesByHome.get(before.homeId)?.delete(id);
    if (!fresh) {
      this.devices.delete(id);
      return null;
    }
    this.putDevice(fresh);
    // told as having happened in `origin`: the cluster link does not send it back
    const facts = deviceFacts(fresh);
    this.events.emit('device/changed', origin ? markOrigin(facts, origin) : facts);
    return fresh;
  }

  /**
   * Another process changed this home (created it, changed its label, team, settings or test mode,
   * or a power of attorney for it): reads it and its active powers of attorney again from the store.
   * Nothing is said on the bus; the caller tells the parts.
   */
  async reloadHome(id: HomeId): Promise<Home | null> {
    const fresh = await this.store.homes.get(id);
    if (!fresh) return null;
    this.putHome(fresh);
    for (const homes of this.attorneyHomes.values()) homes.delete(id);
    for (const p of await this.store.powersOfAttorney.listByHome(id))
      if (p.revokedAt === null) this.addAttorney(p.relativeUserId, p.homeId);
    return fresh;
  }

  /**
   * Reads every home, device and power of attorney again from the store (after this process may
   * have missed changes made elsewhere: the link between processes was down). Each device that is
   * new or changed is told as `device/changed`, marked as from `origin`, so the rules watch it.
   */
  async reloadAll(origin: string): Promise<void> {
    const homes = await this.store.homes.list();
    const devices = await this.store.devices.listAll();
    const homeIds = new Set(homes.map((h) => h.id));
    for (const home of homes) this.putHome(home);
    for (const [id, home] of this.homes)
      if (!homeIds.has(id)) {
        this.homes.delete(id);
        this.homesByTeam.get(home.teamId)?.delete(id);
      }
    const deviceIds = new Set(devices.map((d) => d.id));
    for (const [id, device] of this.devices)
      if (!deviceIds.has(id)) {
        this.devices.delete(id);
        this.devicesByHome.get(device.homeId)?.delete(id);
      }
    const changed: Device[] = [];
    for (const device of devices) {
      const before = this.devices.get(device.id);
      if (before && JSON.stringify(before) === JSON.stringify(device)) continue;
      if (before) this.devicesByHome.get(before.homeId)?.delete(device.id);
      this.putDevice(device);
      changed.push(device);
    }
    this.attorneyHomes.clear();
    for (const home of homes)
      for (const p of await this.store.powersOfAttorney.listByHome(home.id))
        if (p.revokedAt === null) this.addAttorney(p.relativeUserId, p.homeId);
    for (const device of changed) this.events.emit('device/changed', markOrigin(deviceFacts(device), origin));
  }

  /** A new secret for a device; the old one stops working at once, open connections included. */
  async rotateSecret(id: DeviceId): Promise<string> {
    const device = this.devices.get(id);
    if (!device) throw notFound(`device ${id}`);
    const secret = newSecret();
    const secretHash = this.secrets.hash(secret);
    await this.store.devices.setSecretHash(id, secretHash);
    this.devices.set(id, { ...device, secretHash });
    this.accessEnded({ deviceId: id, reason: 'secret_rotated' });
    return secret;
  }

  /** Moves a device to another home; its open connections end, as they spoke for the old home. */
  async moveDevice(id: DeviceId, homeId: HomeId): Promise<Device> {
    const device = this.devices.get(id);
    if (!device) throw notFound(`device ${id}`);
    if (!this.homes.has(homeId)) throw notFound(`home ${homeId}`);
    if (device.homeId === homeId) return device;
    await this.store.devices.setHome(id, homeId);
    this.devicesByHome.get(device.homeId)?.delete(id);
    const moved = { ...device, homeId };
    this.putDevice(moved);
    this.deviceChanged(moved);
    this.accessEnded({ deviceId: id, reason: 'moved' });
    return moved;
  }

  /** Removes a device; its secret stops working and its open connections end at once. */
  async removeDevice(id: DeviceId): Promise<void> {
    const device = this.devices.get(id);
    if (!device) throw notFound(`device ${id}`);
    await this.store.devices.remove(id);
    this.devices.delete(id);
    this.devicesByHome.get(device.homeId)?.delete(id);
    this.accessEnded({ deviceId: id, reason: 'removed' });
  }
}
