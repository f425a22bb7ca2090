import { parseDeviceTopic, TOPIC_ROOT, topics } from '../services/domain/index.ts';
import type { Registry } from '../services/registry/index.ts';

/** Who a connection is, once authenticated. */
export type Identity =
  | { kind: 'device'; deviceId: string; homeId: string; role: 'sensor' | 'gateway' }
  | { kind: 'service'; username: string };

export type PublishVerdict =
  | { ok: true; deviceId: string | null; homeId: string | null; type: 'readings' | 'status' | 'service' }
  | { ok: false; reason: 'publish_denied' | 'retained_reading' };

/**
 * May this identity publish here? A sensor: only its own readings and status. A gateway: those of
 * any device registered in its own home. A service account: anything under the versioned root.
 */
export function mayPublish(
  identity: Identity,
  topic: string,
  retain: boolean,
  registry: Registry,
): PublishVerdict {
  if (identity.kind === 'service') {
    return topic.startsWith(`${TOPIC_ROOT}/`)
      ? { ok: true, deviceId: null, homeId: null, type: 'service' }
      : { ok: false, reason: 'publish_denied' };
  }
  const parsed = parseDeviceTopic(topic);
  if (!parsed || parsed.homeId !== identity.homeId) return { ok: false, reason: 'publish_denied' };
  if (parsed.deviceId !== identity.deviceId) {
    if (identity.role !== 'gateway') return { ok: false, reason: 'publish_denied' };
    if (registry.device(parsed.deviceId)?.homeId !== identity.homeId)
      return { ok: false, reason: 'publish_denied' };
  }
  // A retained reading would be replayed to every new subscriber as if it were new.
  if (retain && parsed.type === 'readings') return { ok: false, reason: 'retained_reading' };
  return { ok: true, deviceId: parsed.deviceId, homeId: parsed.homeId, type: parsed.type };
}

/** May this identity subscribe to this filter? Devices: their home's config topic, exactly. */
export function maySubscribe(identity: Identity, filter: string): boolean {
  if (identity.kind === 'service') return filter.startsWith(`${TOPIC_ROOT}/`);
  return filter === topics.config(identity.homeId);
}

/** The safety net: may a message on this topic be delivered to this identity? */
export function mayReceive(identity: Identity, topic: string): boolean {
  if (identity.kind === 'service') return true;
  return topic === topics.config(identity.homeId);
}
