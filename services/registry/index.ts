import { type DeviceId, type HomeId, HomeId as HomeIdSchema, type SensorKind } from '../domain/index.ts';
import { conflict, hashSecret, newSecret, notFound } from '../runtime/index.ts';
import type { Device, DeviceRole, Home, Store } from '../store/index.ts';

/**
 * Homes and devices, cached in memory so the hot path (every reading) looks them up in O(1)
 * without touching the database. All changes go through here, so the cache stays true.
 * (Several processes sharing one database will need change notifications; see docs/architecture.md.)
 */
export class Registry {
  private readonly homes = new Map<HomeId, Home>();
  private readonly devices = new Map<DeviceId, Device>();

  private constructor(private readonly store: Store) {}

  static async load(store: Store): Promise<Registry> {
    const registry = new Registry(store);
    for (const home of await store.homes.list()) registry.homes.set(home.id, home);
    for (const device of await store.devices.listAll()) registry.devices.set(device.id, device);
    return registry;
  }

  home(id: HomeId): Home | undefined {
    return this.homes.get(id);
  }

  device(id: DeviceId): Device | undefined {
    return this.devices.get(id);
  }

  homesOfTeams(teamIds: readonly string[]): Home[] {
    const teams = new Set(teamIds);
    return [...this.homes.values()].filter((h) => teams.has(h.teamId));
  }

  allHomes(): Home[] {
    return [...this.homes.values()];
  }

  devicesOfHome(homeId: HomeId): Device[] {
    return [...this.devices.values()].filter((d) => d.homeId === homeId);
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
    if (this.homes.has(input.id)) throw conflict(`home ${input.id} exists`);
    if (!(await this.store.teams.get(input.teamId))) throw notFound(`team ${input.teamId}`);
    const home = await this.store.homes.create({
      id: input.id,
      label: input.label,
      teamId: input.teamId,
      timezone: input.timezone ?? 'Europe/Copenhagen',
      settings: input.settings ?? {},
      test: input.test ?? false,
    });
    this.homes.set(home.id, home);
    return home;
  }

  async updateHome(
    id: HomeId,
    patch: Partial<Pick<Home, 'label' | 'teamId' | 'timezone' | 'settings' | 'test'>>,
  ): Promise<Home> {
    if (!this.homes.has(id)) throw notFound(`home ${id}`);
    const home = await this.store.homes.update(id, patch);
    this.homes.set(id, home);
    return home;
  }

  /** Provisions a device; the secret is returned once and only its hash is kept. */
  async provisionDevice(input: {
    id: DeviceId;
    homeId: HomeId;
    kinds: SensorKind[];
    role?: DeviceRole;
    test?: boolean;
  }): Promise<{ device: Device; secret: string }> {
    HomeIdSchema.parse(input.id);
    if (!this.homes.has(input.homeId)) throw notFound(`home ${input.homeId}`);
    if (this.devices.has(input.id)) throw conflict(`device ${input.id} exists`);
    const secret = newSecret();
    const device = await this.store.devices.create({
      id: input.id,
      homeId: input.homeId,
      role: input.role ?? 'sensor',
      kinds: input.kinds,
      secretHash: await hashSecret(secret, 'device'),
      test: input.test ?? false,
    });
    this.devices.set(device.id, device);
    return { device, secret };
  }

  /** A new secret for a device; the old one stops working at its next connect. */
  async rotateSecret(id: DeviceId): Promise<string> {
    const device = this.devices.get(id);
    if (!device) throw notFound(`device ${id}`);
    const secret = newSecret();
    const secretHash = await hashSecret(secret, 'device');
    await this.store.devices.setSecretHash(id, secretHash);
    this.devices.set(id, { ...device, secretHash });
    return secret;
  }
}
