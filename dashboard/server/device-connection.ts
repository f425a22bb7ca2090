import { z } from 'zod';

/** How devices and gateways reach the broker, as the platform started it. */
export const DeviceConnection = z.strictObject({
  /** mqtt:// (plain, development), mqtts://, ws(s):// on the dashboard's path and on the broker's own port */
  endpoints: z.strictObject({
    plain: z.string().nullable(),
    tls: z.string().nullable(),
    webSocketPath: z.string().nullable(),
    webSocket: z.string().nullable(),
  }),
  tls: z
    .strictObject({
      /** SHA-256 of the server certificate, AB:CD:…, to compare with what a client shows */
      fingerprint256: z.string(),
      /** PEM a gateway trusts to verify the broker (its pairing bundle's CA) */
      caPem: z.string(),
      selfSigned: z.boolean(),
      validTo: z.string(),
      clientCertificates: z.enum(['off', 'optional', 'required']),
    })
    .nullable(),
});
export type DeviceConnection = z.infer<typeof DeviceConnection>;
