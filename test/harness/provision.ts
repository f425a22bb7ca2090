import { ConsentRegistry } from '../../services/consent/index.ts';
import { type ConsentCategory, informationText } from '../../services/domain/index.ts';
import { Registry } from '../../services/registry/index.ts';
import { DeviceSecretHasher, loadDeviceSecretKey, silentLogger } from '../../services/runtime/index.ts';
import { openStore, type StoreLocation } from '../../services/store/index.ts';

/**
 * A store made ready for platform processes (`startPlatformProcess`) without a platform running, as
 * a technician would have done before: homes, devices and consent written through the registries.
 * Device secrets are hashed under the key the processes will use: `deviceSecretKey` (their
 * DEVICE_SECRET_KEY), or else the key file in `dataDir` (made there when missing; give the
 * processes that folder, or a copy of the file). Close it before a process opens a SQLite file.
 */
export async function provisionStore(o: {
  location: StoreLocation;
  dataDir?: string;
  deviceSecretKey?: string;
}) {
  const store = await openStore(o.location);
  try {
    const { key } = loadDeviceSecretKey({ setting: o.deviceSecretKey ?? '', dataDir: o.dataDir ?? '' });
    const registry = await Registry.load(store, { deviceSecrets: new DeviceSecretHasher(key) });
    const consent = await ConsentRegistry.load(store, registry, silentLogger());
    return {
      store,
      registry,
      consent,
      /** the citizen grants `category` for `purposes`, on the information text shown today */
      async grant(
        homeId: string,
        category: ConsentCategory,
        purposes: ReadonlyArray<'alerts' | 'history'> = ['alerts', 'history'],
      ) {
        for (const purpose of purposes)
          await consent.change(
            homeId,
            {
              category,
              purpose,
              action: 'grant',
              channel: 'web',
              textVersion: informationText(category, purpose).version,
            },
            { id: 'citizen', role: 'citizen', homeId },
          );
      },
      close: () => store.close(),
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
