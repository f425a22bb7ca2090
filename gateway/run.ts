import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { createLogger, type Logger, Metrics, systemClock } from '../services/runtime/index.ts';
import { type GatewayConfig, GatewayConfigError, loadGatewayConfig } from './config.ts';
import { HomeGateway } from './home-gateway.ts';
import { decodePairing, PairingError, writeConfigFromBundle } from './pairing.ts';
import { BridgeDevices } from './zigbee2mqtt/messages.ts';
import { Zigbee2mqttSource } from './zigbee2mqtt/source.ts';

export const GATEWAY_USAGE = `The Tryghed home gateway: zigbee2mqtt in the home → the platform.

  tryghed gateway [--config <file>]          run it (npm run gateway -- …)
  tryghed gateway --pair <code|file> [--config <file>]
                                             write the config file from the technician page's
                                             pairing code (keeps the device map; mode 0600)
  tryghed gateway --list-devices [--config <file>]
                                             print zigbee2mqtt's devices as a device map to fill in

The config file defaults to $GATEWAY_CONFIG or ./tryghed-gateway.json; environment variables
(GATEWAY_PLATFORM_URL, GATEWAY_LOCAL_URL, …) win over it. See "Install a gateway in a home" in
README.md.
`;

export interface RunningGateway {
  gateway: HomeGateway;
  source: Zigbee2mqttSource;
  metricsUrl: string | null;
  stop(): Promise<void>;
}

/** Starts the gateway from a validated config: outbox, platform link, local source, metrics. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const metrics = new Metrics();
  const gateway = new HomeGateway({
    brokerUrl: config.platform.url,
    homeId: config.platform.homeId,
    gatewayId: config.platform.gatewayId,
    secret: config.platform.secret,
    ...(config.caPem ? { ca: config.caPem } : {}),
    logger: logger.child({ part: 'platform-link' }),
    metrics,
    outboxPath: join(config.dataDir, 'outbox.sqlite'),
    outboxLimit: config.outbox.maxRows,
    outboxMaxBytes: config.outbox.maxBytes,
    connectInBackground: true,
    heartbeatMs: config.heartbeatS * 1000,
  });
  await gateway.start();
  const source = new Zigbee2mqttSource({
    url: config.local.url,
    ...(config.local.username ? { username: config.local.username } : {}),
    ...(config.local.password ? { password: config.local.password } : {}),
    baseTopic: config.local.baseTopic,
    clientId: `${config.platform.gatewayId}-zigbee2mqtt`,
    devices: config.devices,
    gateway,
    logger: logger.child({ part: 'zigbee2mqtt' }),
    metrics,
    clock: systemClock,
    heartbeatMs: config.heartbeatS * 1000,
  });
  await source.start();
  let server: Server | null = null;
  let metricsUrl: string | null = null;
  if (config.metricsPort !== undefined) {
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ platform: gateway.connected(), outbox: gateway.pending() }));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(config.metricsPort, config.metricsHost, () => resolve());
    });
    const address = listening.address();
    const port = typeof address === 'object' && address ? address.port : config.metricsPort;
    metricsUrl = `http://${config.metricsHost}:${port}/metrics`;
  }
  logger.info(
    {
      homeId: config.platform.homeId,
      gatewayId: config.platform.gatewayId,
      devices: Object.keys(config.devices).length,
      outbox: gateway.pending(),
      metrics: metricsUrl,
    },
    'gateway running',
  );
  return {
    gateway,
    source,
    metricsUrl,
    async stop() {
      // the local side first, so nothing is taken in that could not be stored
      await source.stop();
      await gateway.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** `tryghed gateway …`: 0 when it stopped cleanly, 1 on failure, 2 for bad arguments or config. */
export async function runGatewayCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { config?: string; pair?: string; 'list-devices'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        pair: { type: 'string' },
        'list-devices': { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${GATEWAY_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(GATEWAY_USAGE);
    return 0;
  }
  const file = values.config ?? env.GATEWAY_CONFIG ?? './tryghed-gateway.json';
  if (values.pair) {
    try {
      const bundle = decodePairing(values.pair);
      writeConfigFromBundle(file, bundle);
      console.log(
        `Paired: gateway ${bundle.gatewayId} of home ${bundle.homeId}, platform ${bundle.platformUrl}${bundle.ca ? ' (its CA is trusted)' : ''}.\nWrote ${file} (readable by you only). Next: add the device map, then run tryghed gateway --config ${file}`,
      );
      return 0;
    } catch (err) {
      if (err instanceof PairingError) {
        console.error(err.message);
        return 2;
      }
      throw err;
    }
  }
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(env, file);
  } catch (err) {
    if (err instanceof GatewayConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (values['list-devices']) return listDevices(config);
  const logger = createLogger({ level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);
  let running: RunningGateway;
  try {
    running = await startGateway(config, logger);
  } catch (err) {
    console.error(`The gateway could not start: ${(err as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  logger.info('stopping');
  await running.stop();
  return 0;
}

/** Reads zigbee2mqtt's retained device list once and prints a device map to fill in. */
async function listDevices(config: GatewayConfig): Promise<number> {
  const client = await mqtt.connectAsync(config.local.url, {
    ...(config.local.username ? { username: config.local.username } : {}),
    ...(config.local.password ? { password: config.local.password } : {}),
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  try {
    const payload = await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 5000);
      client.on('message', (_topic, message) => {
        clearTimeout(timer);
        resolve(message);
      });
      void client.subscribeAsync(`${config.local.baseTopic}/bridge/devices`, { qos: 1 });
    });
    if (!payload) {
      console.error(`no device list on ${config.local.baseTopic}/bridge/devices: is zigbee2mqtt running?`);
      return 1;
    }
    // zigbee2mqtt's retained message is input like any other: a damaged one is named, not a stack trace
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      raw = undefined;
    }
    const parsed = BridgeDevices.safeParse(raw);
    if (!parsed.success) {
      const where =
        raw === undefined
          ? 'not JSON'
          : parsed.error.issues
              .map((i) => i.path.join('.') || i.message)
              .slice(0, 5)
              .join(', ');
      console.error(
        `the device list on ${config.local.baseTopic}/bridge/devices is not zigbee2mqtt's device list (${where}); is zigbee2mqtt's base topic ${config.local.baseTopic}?`,
      );
      return 1;
    }
    const devices = parsed.data;
    const map: Record<string, unknown> = {};
    for (const d of devices) {
      if (d.type === 'Coordinator') continue;
      map[d.ieee_address] = config.devices[d.ieee_address] ?? {
        deviceId: '<platform device id>',
        kinds: ['<kind>', 'battery', 'heartbeat'],
        _model: d.definition ? `${d.definition.vendor} ${d.definition.model}` : 'unsupported',
        _name: d.friendly_name,
      };
    }
    console.log(JSON.stringify({ devices: map }, null, 2));
    console.log('\nCopy the entries you need into "devices" in the config file; drop the _ keys.');
    return 0;
  } finally {
    await client.endAsync(true);
  }
}
