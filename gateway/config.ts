import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DeviceId, HomeId, SensorKind } from '../services/domain/index.ts';

/**
 * The gateway's whole configuration, as one schema: a JSON file (written by `tryghed gateway
 * --pair`, the device map added by the technician) and environment variables, which win over the
 * file. Every problem is reported at once, each named by its file key and its variable.
 */

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A technician's own reading of one key (see gateway/zigbee2mqtt/mapping.ts `CustomKey`). */
const CustomKeySchema = z.strictObject({
  kind: SensorKind,
  key: z.string().min(1).max(100),
  on: z.array(scalar).min(1),
  off: z.array(scalar).optional(),
});

/** One local (zigbee2mqtt) device: which platform device it is, and what it reports. */
export const DeviceMapEntry = z.strictObject({
  deviceId: DeviceId,
  /** the platform device's kinds that this device reports (battery and heartbeat included if wanted) */
  kinds: z.array(SensorKind).min(1, 'name at least one sensor kind'),
  keys: z.array(CustomKeySchema).default([]),
});
export type DeviceMapEntry = z.infer<typeof DeviceMapEntry>;

/** zigbee2mqtt friendly name or IEEE address (0x + 16 hex digits) → platform device */
export const DeviceMap = z.record(z.string().min(1).max(200), DeviceMapEntry);
export type DeviceMap = z.infer<typeof DeviceMap>;

const count = (min: number, max: number) =>
  z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(min).max(max);

const mqttUrl = z
  .string()
  .regex(/^(mqtts?|wss?):\/\/[^\s/]+/, 'must be a URL like mqtts://host:8883 (mqtt, mqtts, ws or wss)');

export const GatewayConfigSchema = z.strictObject({
  platform: z.strictObject({
    /** the platform's broker; mqtts:// (TLS) in any real home */
    url: mqttUrl,
    homeId: HomeId,
    /** the gateway's device id on the platform: its MQTT client id and user name */
    gatewayId: DeviceId,
    secret: z.string().min(16, 'the gateway secret is at least 16 characters (from the pairing bundle)'),
    /** a file with the PEM of the CA to trust for the platform's certificate */
    caFile: z.string().min(1).optional(),
    /** the same PEM inline (as the pairing bundle brings it) */
    ca: z
      .string()
      .includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM certificate' })
      .optional(),
  }),
  local: z
    .strictObject({
      /** the home's own broker, the one zigbee2mqtt publishes to */
      url: mqttUrl.default('mqtt://127.0.0.1:1883'),
      username: z.string().optional(),
      password: z.string().optional(),
      /** zigbee2mqtt's `mqtt.base_topic` */
      baseTopic: z
        .string()
        .regex(/^[^#+\s]+$/, 'a topic without wildcards')
        .default('zigbee2mqtt'),
    })
    .prefault({}),
  /** outbox and memory of device state (SQLite); keep it on the SD card, not tmpfs */
  dataDir: z.string().min(1).default('./gateway-data'),
  outbox: z
    .strictObject({
      maxRows: count(100, 10_000_000).default(100_000),
      maxBytes: count(1024 * 1024, 4 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
    })
    .prefault({}),
  /** a device that sends nothing new is reported alive (heartbeat) at most this often, in seconds */
  heartbeatS: count(10, 86_400).default(300),
  /** Prometheus /metrics on this port (127.0.0.1 unless metricsHost says otherwise); absent = off */
  metricsPort: count(0, 65_535).optional(),
  metricsHost: z.string().min(1).default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  devices: DeviceMap.default({}),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema> & {
  /** the CA PEM to trust, read from caFile or ca; null means the system's CAs */
  caPem: string | null;
  /** things the installer should know (plain mqtt:// to a remote host, say) */
  warnings: string[];
};

/** environment variable → path in the config */
export const GATEWAY_ENV: Record<string, string[]> = {
  GATEWAY_PLATFORM_URL: ['platform', 'url'],
  GATEWAY_HOME_ID: ['platform', 'homeId'],
  GATEWAY_ID: ['platform', 'gatewayId'],
  GATEWAY_SECRET: ['platform', 'secret'],
  GATEWAY_CA_FILE: ['platform', 'caFile'],
  GATEWAY_LOCAL_URL: ['local', 'url'],
  GATEWAY_LOCAL_USERNAME: ['local', 'username'],
  GATEWAY_LOCAL_PASSWORD: ['local', 'password'],
  GATEWAY_Z2M_BASE_TOPIC: ['local', 'baseTopic'],
  GATEWAY_DATA_DIR: ['dataDir'],
  GATEWAY_OUTBOX_MAX_ROWS: ['outbox', 'maxRows'],
  GATEWAY_OUTBOX_MAX_BYTES: ['outbox', 'maxBytes'],
  GATEWAY_HEARTBEAT_S: ['heartbeatS'],
  GATEWAY_METRICS_PORT: ['metricsPort'],
  GATEWAY_METRICS_HOST: ['metricsHost'],
  GATEWAY_DEVICES: ['devices'],
  LOG_LEVEL: ['logLevel'],
};
const ENV_OF = new Map(Object.entries(GATEWAY_ENV).map(([env, path]) => [path.join('.'), env]));

export class GatewayConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The gateway's configuration has ${problems.length === 1 ? 'a problem' : 'problems'}:\n  ${problems.join('\n  ')}`,
    );
    this.name = 'GatewayConfigError';
  }
}

/**
 * Reads the file (GATEWAY_CONFIG or `file`), lays the environment over it and validates it all at
 * once. A relative dataDir or caFile is taken from the file's folder.
 */
export function loadGatewayConfig(env: NodeJS.ProcessEnv, file?: string): GatewayConfig {
  const problems: string[] = [];
  const path = file ?? env.GATEWAY_CONFIG;
  let raw: Record<string, unknown> = {};
  const base = path ? resolve(path, '..') : process.cwd();
  if (path) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        problems.push(`${path}: must hold one JSON object`);
        raw = {};
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(
        code === 'ENOENT'
          ? `GATEWAY_CONFIG: no file at ${path} (pair first: tryghed gateway --pair <code>)`
          : `${path}: not readable JSON (${(err as Error).message})`,
      );
    }
  }
  for (const [name, at] of Object.entries(GATEWAY_ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (name === 'GATEWAY_DEVICES') {
      try {
        setPath(raw, at, JSON.parse(value));
      } catch {
        problems.push('GATEWAY_DEVICES: must be a JSON object (the device map)');
      }
      continue;
    }
    setPath(raw, at, value);
  }
  const parsed = GatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      const envName = ENV_OF.get(key) ?? (issue.path[0] === 'devices' ? 'GATEWAY_DEVICES' : undefined);
      const message = /received undefined$/.test(issue.message) ? 'required' : issue.message;
      problems.push(`${key || '(the file)'}${envName ? ` (${envName})` : ''}: ${message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new GatewayConfigError(problems);
  const config = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.dataDir = abs(config.dataDir);
  let caPem: string | null = config.platform.ca ?? null;
  if (config.platform.caFile) {
    try {
      caPem = readFileSync(abs(config.platform.caFile), 'utf8');
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
        problems.push(
          `platform.caFile (GATEWAY_CA_FILE): ${config.platform.caFile} is not a PEM certificate`,
        );
      }
    } catch (err) {
      problems.push(
        `platform.caFile (GATEWAY_CA_FILE): cannot read ${config.platform.caFile}: ${(err as Error).message}`,
      );
    }
  }
  const ids = new Map<string, string>();
  for (const [local, entry] of Object.entries(config.devices)) {
    const other = ids.get(entry.deviceId);
    if (other) problems.push(`devices.${local}: device ${entry.deviceId} is already mapped to ${other}`);
    ids.set(entry.deviceId, local);
    if (entry.deviceId === config.platform.gatewayId) {
      problems.push(`devices.${local}: ${entry.deviceId} is the gateway's own id`);
    }
  }
  if (problems.length > 0) throw new GatewayConfigError(problems);
  const warnings: string[] = [];
  const url = new URL(config.platform.url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if ((url.protocol === 'mqtt:' || url.protocol === 'ws:') && !loopback) {
    warnings.push(
      `platform.url is ${url.protocol}// to ${url.hostname}: the gateway's secret and every reading travel unencrypted; use mqtts:// with the platform's CA`,
    );
  }
  return { ...config, caPem, warnings };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
}
