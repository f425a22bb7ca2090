import type { Aedes, Client } from 'aedes';
import { z } from 'zod';
import { DeviceId } from '../services/domain/index.ts';
import type { PlatformBus } from '../services/events/index.ts';
import type { Registry } from '../services/registry/index.ts';
import type { Logger } from '../services/runtime/index.ts';
import type { DeviceConnections } from './connections.ts';

/** notices between the brokers of a cluster, on aedes' own queue (hence through Redis) */
const NOTICE = {
  connected: (brokerId: string) => `$SYS/${brokerId}/tryghed/device-connected`,
  changed: (brokerId: string) => `$SYS/${brokerId}/tryghed/device-changed`,
  accessEnded: (brokerId: string) => `$SYS/${brokerId}/tryghed/device-access-ended`,
};
const ConnectedNotice = z.object({
  deviceId: DeviceId,
  clientId: z.string().min(1).max(256),
  /** when the broker accepted it (ms since epoch); absent from releases before it was sent */
  at: z.number().int().nonnegative().optional(),
});
const ChangedNotice = z.object({ deviceId: DeviceId });
const AccessEndedNotice = z.object({
  deviceId: DeviceId,
  reason: z.enum(['secret_rotated', 'removed', 'moved']),
});

type Packet = { topic: string; payload: unknown };
type Listener = (packet: Packet, done: () => void) => void;

/**
 * What one broker must tell the others so the device rules hold across the cluster:
 * - a device's new connection replaces its connection to another broker (one live connection per
 *   device);
 * - a device provisioned, given a new secret, moved or removed in one process is read again from
 *   the store by every other process's registry, so an old secret stops working on every broker
 *   and a new device can connect to any;
 * - a device whose credentials ended in one process is closed on every broker.
 * Clients cannot send or see these: `$SYS` is outside what any identity may publish or subscribe
 * to (`acl.ts`). Returns what stops listening.
 */
export function clusterNotices(
  aedes: Aedes,
  connections: DeviceConnections,
  registry: Registry,
  events: PlatformBus,
  log: Logger,
  /** `deviceChanges: false`: device changes travel another way (the platform's cluster link) */
  options: { deviceChanges: boolean } = { deviceChanges: true },
): () => void {
  const notify = (topic: string, body: object) =>
    aedes.publish(
      {
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify(body)),
        qos: 0,
        retain: false,
        dup: false,
      },
      (err) => {
        if (err) log.warn({ err, topic }, 'cluster notice not sent');
      },
    );
  const onClient = (client: Client) => {
    const identity = connections.identities.get(client);
    if (identity?.kind === 'device')
      notify(NOTICE.connected(aedes.id), {
        deviceId: identity.deviceId,
        clientId: client.id,
        at: connections.connectedAt(client),
      });
  };
  aedes.on('client', onClient);
  /** devices being read again on another broker's word: their change is not announced back */
  const reloading = new Set<string>();
  const stopChange = options.deviceChanges
    ? events.on('device/changed', (device) => {
        if (!reloading.has(device.id)) notify(NOTICE.changed(aedes.id), { deviceId: device.id });
      })
    : () => undefined;
  const stopAccess = options.deviceChanges
    ? events.on('device/access-ended', (end) => notify(NOTICE.accessEnded(aedes.id), end))
    : () => undefined;
  const reload = async (deviceId: string) => {
    reloading.add(deviceId);
    try {
      await registry.reloadDevice(deviceId);
    } catch (err) {
      log.error({ err, deviceId }, 'reading a device changed elsewhere failed');
    } finally {
      reloading.delete(deviceId);
    }
  };

  /** a notice from another broker, parsed; null for our own or an unreadable one */
  const fromOthers = <T>(schema: z.ZodType<T>, packet: Packet): T | null => {
    if (packet.topic.split('/')[1] === aedes.id) return null;
    try {
      const parsed = schema.safeParse(JSON.parse(String(packet.payload)));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through
    }
    log.warn({ topic: packet.topic }, 'unreadable cluster notice ignored');
    return null;
  };
  const onConnected: Listener = (packet, done) => {
    const notice = fromOthers(ConnectedNotice, packet);
    if (notice) connections.connectedElsewhere(notice.deviceId, notice.clientId, notice.at);
    done();
  };
  const onChanged: Listener = (packet, done) => {
    const notice = fromOthers(ChangedNotice, packet);
    if (notice) void reload(notice.deviceId);
    done();
  };
  const onAccessEnded: Listener = (packet, done) => {
    const notice = fromOthers(AccessEndedNotice, packet);
    // the old secret stops working here before the connection closes, so a reconnect meets the new
    if (notice) void reload(notice.deviceId).then(() => connections.accessEnded(notice));
    done();
  };
  const mq = (aedes as unknown as { mq: unknown }).mq as {
    on(topic: string, listener: Listener): void;
    removeListener(topic: string, listener: Listener): void;
  };
  const listening: Array<[string, Listener]> = [
    [NOTICE.connected('+'), onConnected],
    ...(options.deviceChanges
      ? ([
          [NOTICE.changed('+'), onChanged],
          [NOTICE.accessEnded('+'), onAccessEnded],
        ] as Array<[string, Listener]>)
      : []),
  ];
  for (const [topic, listener] of listening) mq.on(topic, listener);
  return () => {
    aedes.off('client', onClient);
    stopChange();
    stopAccess();
    if (aedes.closed) return;
    for (const [topic, listener] of listening) mq.removeListener(topic, listener);
  };
}
