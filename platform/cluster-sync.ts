import type { ConsentRegistry } from '../services/consent/index.ts';
import type { ClusterLink } from '../services/events/index.ts';
import type { Registry } from '../services/registry/index.ts';
import type { Logger } from '../services/runtime/index.ts';

/**
 * What this process keeps in memory of what another process changed: read again from the shared
 * store (the one truth) before the parts here hear the change, so a listener sees the new state:
 * - consent given or withdrawn elsewhere: the home's consent events, so ingest here stores (or
 *   stops storing) the very next reading by the new scope, and its config topic says it;
 * - a home created or changed elsewhere (and its powers of attorney, and test mode);
 * - a device provisioned, changed, moved, removed or given a new secret elsewhere: read again, so
 *   an old secret stops working at this process's broker and the rules watch the new device; its
 *   connection here is closed on `device/access-ended` as for a local change.
 * When the link comes back after an outage, every home, device and consent is read again: what
 * was changed meanwhile, and whose event may have been dropped, is not left stale.
 */
export function followOtherProcesses(o: {
  link: ClusterLink;
  registry: Registry;
  consent: ConsentRegistry;
  logger: Logger;
}): () => void {
  const { link, registry, consent } = o;
  link.onArrival('consent/changed', async ({ homeId }) => {
    await consent.reloadHome(homeId);
    return true;
  });
  link.onArrival('home/changed', async ({ homeId }) => {
    await registry.reloadHome(homeId);
    return true;
  });
  link.onArrival('test-mode/changed', async ({ homeId }) => {
    await registry.reloadHome(homeId);
    return true;
  });
  // the fresh device is told here by the reload itself (marked as from `origin`), not the message
  link.onArrival('device/changed', async (device, origin) => {
    await registry.reloadDevice(device.id, origin);
    return false;
  });
  // the old secret stops working here before the connection closes, so a reconnect meets the new
  link.onArrival('device/access-ended', async ({ deviceId }, origin) => {
    await registry.reloadDevice(deviceId, origin);
    return true;
  });
  return link.onRestored(() => {
    const origin = 'store';
    Promise.all([registry.reloadAll(origin), consent.reloadAll()]).then(
      () => o.logger.info('homes, devices and consent read again after the link between processes was down'),
      (err: unknown) => o.logger.error({ err }, 'reading homes, devices and consent again failed'),
    );
  });
}
