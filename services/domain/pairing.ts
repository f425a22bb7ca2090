import { z } from 'zod';
import { DeviceId, HomeId } from './ids.ts';

/**
 * The pairing bundle: everything a home gateway needs to reach the platform, made by the
 * technician page and shown once (only the secret's hash is kept). As JSON, or as one line of
 * text to paste into `tryghed gateway --pair`: `TRYGHED-GW1.` + base64url of the JSON.
 */
const brokerUrl = z.string().regex(/^(mqtts?|wss?):\/\/\S+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL');

export const PairingBundle = z.strictObject({
  v: z.literal(1),
  /** the URL the gateway uses: TLS first when the platform offers it */
  platformUrl: brokerUrl,
  /** every URL the platform offers, best first */
  platformUrls: z.array(brokerUrl).min(1),
  homeId: HomeId,
  /** the gateway's device id: its MQTT user name and client id */
  gatewayId: DeviceId,
  secret: z.string().min(16),
  /** PEM of the CA that signed the platform's certificate; null without TLS, or with a public CA */
  ca: z.string().includes('-----BEGIN CERTIFICATE-----').nullable(),
  /** epoch ms */
  issuedAt: z.number().int().nonnegative(),
});
export type PairingBundle = z.infer<typeof PairingBundle>;

export const PAIRING_CODE_PREFIX = 'TRYGHED-GW1.';

export function encodePairingCode(bundle: PairingBundle): string {
  return PAIRING_CODE_PREFIX + Buffer.from(JSON.stringify(bundle), 'utf8').toString('base64url');
}
