import { z } from 'zod';
import { TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import type { DashboardContext } from '../context.ts';

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

/**
 * For technicians pairing a gateway in a home: the broker's addresses, its certificate's
 * fingerprint and the CA to trust. Certificates are public; no secret is in here.
 */
export function brokerRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/broker/connection',
      summary:
        'How devices reach the broker: its URLs, TLS certificate fingerprint and the CA gateways trust',
      tag: 'devices',
      access: ['admin', 'technician'],
      errors: ['unavailable'],
      response: { status: 200, description: 'the broker as started', schema: DeviceConnection },
      handle: () => {
        const connection = ctx.deviceConnection?.();
        if (!connection)
          throw new TryghedError('unavailable', 'the device broker is not part of this process');
        return connection;
      },
    }),
  ];
}
