/**
 * Which process an event came from. An event that happened in this process has no origin; one the
 * cluster link received from another process (through Redis) is marked with that process's id
 * before it is emitted here. The mark rides beside the payload (a WeakMap keyed by the payload
 * object), so no event's type changes and listeners that do not care see exactly what they saw.
 */
const origins = new WeakMap<object, string>();

/** Marks `payload` as having happened in process `origin` (not this one); returns it. */
export function markOrigin<T extends object>(payload: T, origin: string): T {
  origins.set(payload, origin);
  return payload;
}

/** The process an event's payload came from; null when it happened in this process. */
export function eventOrigin(payload: unknown): string | null {
  return typeof payload === 'object' && payload !== null ? (origins.get(payload) ?? null) : null;
}

/** true for an event relayed from another process */
export function isRemoteEvent(payload: unknown): boolean {
  return eventOrigin(payload) !== null;
}
