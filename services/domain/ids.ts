import { z } from 'zod';

/**
 * Pseudonymous ids, safe in topics and in the time-series store. Never a name or a CPR number:
 * they may not contain MQTT wildcards or separators, and are short and plain.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const HomeId = z.string().regex(ID_PATTERN, 'letters, digits, - and _, at most 64 characters');
export const DeviceId = HomeId;
export type HomeId = string;
export type DeviceId = string;
