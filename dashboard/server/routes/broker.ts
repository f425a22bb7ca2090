import { TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import type { DashboardContext } from '../context.ts';
import { DeviceConnection } from '../device-connection.ts';

export { DeviceConnection };

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
