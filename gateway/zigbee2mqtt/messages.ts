import { z } from 'zod';

/**
 * The zigbee2mqtt messages the gateway reads, as zigbee2mqtt publishes them
 * (zigbee2mqtt.io docs/guide/usage/mqtt_topics_and_messages.md; lib/extension/bridge.ts,
 * lib/extension/availability.ts in Koenkk/zigbee2mqtt).
 */

/** `<base>/bridge/devices` (retained): every device zigbee2mqtt knows; only the fields we use. */
export const BridgeDevices = z.array(
  z
    .object({
      ieee_address: z.string(),
      friendly_name: z.string(),
      type: z.string().optional(),
      definition: z
        .object({ model: z.string(), vendor: z.string(), description: z.string().optional() })
        .loose()
        .nullable()
        .optional(),
    })
    .loose(),
);
export type BridgeDevices = z.infer<typeof BridgeDevices>;

/**
 * Availability (`<base>/<name>/availability`, retained) and the bridge's own `<base>/bridge/state`:
 * zigbee2mqtt 1.x sends plain `online`/`offline`, 2.x `{"state":"online"}`. An empty payload is a
 * retained message being cleared (a renamed device): null.
 */
export function parseAvailability(payload: Buffer): 'online' | 'offline' | 'empty' | 'unreadable' {
  const text = payload.toString('utf8').trim();
  if (text === '') return 'empty';
  if (text === 'online' || text === 'offline') return text;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'state' in parsed) {
      const state = (parsed as { state: unknown }).state;
      if (state === 'online' || state === 'offline') return state;
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** What a topic under the base topic is. Friendly names may contain `/`. */
export type LocalTopic =
  | { type: 'devices' }
  | { type: 'bridge_state' }
  | { type: 'availability'; name: string }
  | { type: 'state'; name: string }
  | { type: 'other' };

const COMMAND = /\/(set|get)(\/[^/]+)?$/;

export function parseLocalTopic(base: string, topic: string): LocalTopic {
  if (!topic.startsWith(`${base}/`)) return { type: 'other' };
  const rest = topic.slice(base.length + 1);
  if (rest === 'bridge/devices') return { type: 'devices' };
  if (rest === 'bridge/state') return { type: 'bridge_state' };
  if (rest.startsWith('bridge/')) return { type: 'other' };
  if (rest.endsWith('/availability'))
    return { type: 'availability', name: rest.slice(0, -'/availability'.length) };
  // commands to devices (ours or another app's), never state
  if (COMMAND.test(rest) || rest === 'set' || rest === 'get') return { type: 'other' };
  return rest ? { type: 'state', name: rest } : { type: 'other' };
}
