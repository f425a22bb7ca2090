import { z } from 'zod';
import { DeviceId, encodePairingCode, HomeId, PairingBundle } from '../../../services/domain/index.ts';
import { conflict, notFound, TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { audit, type DashboardContext } from '../context.ts';

const PairingRequest = z
  .object({
    /** the gateway's device id; default `<homeId>-gw` */
    gatewayId: DeviceId.optional(),
  })
  .strict();

/**
 * Pairing a home gateway in one step: the technician gets everything the gateway needs (broker
 * URLs, its ids, a new secret, the CA to trust) as a bundle and a code to paste, shown this once.
 * The gateway is provisioned, or re-keyed if it exists: its old secret stops working at the next
 * connect, so pairing again is also how a lost or stolen gateway is shut out.
 */
export function gatewayPairingRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/homes/:homeId/gateway-pairing',
      summary: "Pair (or re-key) the home's gateway; the bundle is shown this once",
      description:
        'Provisions the gateway device (role gateway) or gives the existing one a new secret, and answers with everything `tryghed gateway --pair` needs.',
      tag: 'provisioning',
      access: ['admin', 'technician'],
      params: z.object({ homeId: HomeId }),
      body: PairingRequest,
      response: {
        status: 200,
        description: 'the bundle, and the same as one line to paste',
        schema: z.strictObject({
          bundle: PairingBundle,
          code: z.string().meta({ description: 'TRYGHED-GW1. + base64url of the bundle' }),
          rekeyed: z.boolean().meta({ description: 'an existing gateway got a new secret' }),
        }),
      },
      errors: ['not_found', 'conflict', 'unavailable'],
      handle: async ({ params, body, actor }) => {
        const home = ctx.registry.home(params.homeId);
        if (!home) throw notFound('home');
        if (!ctx.pairing) throw new TryghedError('unavailable', 'gateway pairing is not available here');
        const urls = ctx.pairing.urls();
        const [platformUrl] = urls;
        if (!platformUrl)
          throw new TryghedError('unavailable', 'the platform has no MQTT address for gateways');
        const gatewayId = body.gatewayId ?? `${home.id}-gw`;
        const existing = ctx.registry.device(gatewayId);
        let secret: string;
        if (existing) {
          // never hand out the credentials of a sensor, or of another home's gateway
          if (existing.homeId !== home.id || existing.role !== 'gateway') {
            throw conflict(`device ${gatewayId} exists and is not this home's gateway`, 'gateway_id_taken');
          }
          secret = await ctx.registry.rotateSecret(gatewayId);
        } else {
          ({ secret } = await ctx.registry.provisionDevice({
            id: gatewayId,
            homeId: home.id,
            kinds: ['heartbeat'],
            role: 'gateway',
            test: home.test,
          }));
        }
        // even a home without any consent yet: the gateway must know that nothing is granted
        await ctx.pairing.announce(home.id);
        audit(ctx, actor, existing ? 'gateway.rekey' : 'gateway.pair', home.id, 'provisioning', gatewayId);
        const bundle: PairingBundle = {
          v: 1,
          platformUrl,
          platformUrls: urls,
          homeId: home.id,
          gatewayId,
          secret,
          ca: ctx.pairing.ca(),
          issuedAt: ctx.clock.now(),
        };
        return { bundle, code: encodePairingCode(bundle), rekeyed: existing !== undefined };
      },
    }),
  ];
}
