import { z } from 'zod';
import { HomeId, SensorKind } from '../../../services/domain/index.ts';
import { TryghedError } from '../../../services/runtime/index.ts';
import { type AnyApiRoute, defineRoute } from '../api/route.ts';
import { DeviceView } from '../api/schemas.ts';
import { audit, type DashboardContext } from '../context.ts';

/** Most devices one request may provision (a municipality's delivery, say). */
export const MAX_BULK_DEVICES = 10_000;
/** Enough for MAX_BULK_DEVICES devices with every sensor kind and long ids. */
const BULK_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const BulkDevice = z
  .object({
    id: HomeId,
    homeId: HomeId,
    kinds: z.array(SensorKind).min(1).max(11),
    role: z.enum(['sensor', 'gateway']).optional(),
    test: z.boolean().optional(),
    /** seconds between the device's regular reports; offline after 2.5 x this */
    reportIntervalS: z.number().int().min(10).max(86_400).optional(),
  })
  .strict();
const BulkDevices = z.object({ devices: z.array(BulkDevice).min(1).max(MAX_BULK_DEVICES) }).strict();

/** Provisioning at scale: many devices in one request, all or none. */
export function provisioningRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/provisioning/devices',
      summary: 'Provision many devices at once, all or none; their secrets are shown this once',
      description: `Up to ${MAX_BULK_DEVICES.toLocaleString('en')} devices in existing homes, written in one transaction. A row that cannot be provisioned (unknown home, id taken or repeated) is named by its index in \`issues\` (\`devices.17.homeId\`) and nothing is created. Each device's provisioning is audited in its home.`,
      tag: 'provisioning',
      access: ['admin', 'technician'],
      body: BulkDevices,
      bodyLimitBytes: BULK_BODY_LIMIT_BYTES,
      response: {
        status: 201,
        description: 'the devices, in the order given, each with its MQTT secret (only its hash is kept)',
        schema: z.strictObject({
          devices: z.array(z.strictObject({ device: DeviceView, secret: z.string() })),
        }),
      },
      errors: ['conflict'],
      handle: async ({ body, actor }) => {
        const provisioned = await ctx.registry.provisionDevices(body.devices).catch((err: unknown) => {
          // the registry names rows by index; here they become body fields
          if (err instanceof TryghedError && err.issues.length > 0) {
            throw new TryghedError(err.code, err.message, {
              issues: err.issues.map((i) => ({ ...i, in: 'body' as const, path: `devices.${i.path}` })),
            });
          }
          throw err;
        });
        for (const { device } of provisioned) {
          audit(ctx, actor, 'device.provision', device.homeId, 'provisioning', device.id);
        }
        ctx.logger.info({ devices: provisioned.length, by: actor.user.role }, 'devices provisioned in bulk');
        return {
          devices: provisioned.map(({ device, secret }) => {
            const { secretHash: _hidden, ...visible } = device;
            return { device: visible, secret };
          }),
        };
      },
    }),
  ];
}
