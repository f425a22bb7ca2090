import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_SLICE_MS, parseDeviceSecretKey } from '../services/runtime/index.ts';

/**
 * The platform's whole configuration, as one schema. Every setting has its environment variable,
 * default and description here, and nowhere else: the README's settings table is checked against
 * this list by a test. `loadConfig` reports every bad value at once, naming the variable.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be 0..65535')
  .max(65535, 'must be 0..65535');
const positive = (max: number) =>
  z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1).max(max);
const url = z.string().url('must be a URL like http://host:port');

const seconds = (min: number, max: number, zeroMeansNever = false) =>
  z.coerce
    .number({ message: 'must be a number of seconds' })
    .int('must be a whole number')
    .refine((v) => (zeroMeansNever && v === 0) || (v >= min && v <= max), {
      message: zeroMeansNever ? `must be 0 (never) or ${min}..${max}` : `must be ${min}..${max}`,
    });
const optionalUrl = z.union([z.literal(''), url]);

/**
 * A listener's port: `off` switches it off. `0` picks a free port (tests), except where
 * `zeroIsOff`: `MQTT_PLAIN_PORT=0` switches plain MQTT off, as operators expect from the issue's
 * wording (a free plain port is still `MQTT_PORT=0`). Empty, where allowed, means "see another setting".
 */
const listenerPort = (o: { zeroIsOff?: boolean; emptyAllowed?: boolean } = {}) =>
  z.string().transform((raw, ctx): number | null | undefined => {
    if (raw === '' && o.emptyAllowed) return undefined;
    if (raw === 'off' || (o.zeroIsOff && raw === '0')) return null;
    const n = Number(raw);
    if (raw === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: o.zeroIsOff
          ? 'must be off (or 0) or a port 1..65535'
          : 'must be off or a port 0..65535 (0 picks a free one)',
      });
      return z.NEVER;
    }
    return n;
  });

/** `MQTT_WS_PATH`: a path on the dashboard's port, or `off`; never one the dashboard itself uses. */
const webSocketPath = z.string().transform((raw, ctx): string | null => {
  if (raw === 'off' || raw === '') return null;
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(raw) || raw === '/') {
    ctx.addIssue({ code: 'custom', message: 'must be off or a path like /mqtt' });
    return z.NEVER;
  }
  if (raw === '/live' || raw === '/api' || raw.startsWith('/api/')) {
    ctx.addIssue({
      code: 'custom',
      message: 'the dashboard uses this path itself; pick another, like /mqtt',
    });
    return z.NEVER;
  }
  return raw;
});

/** `TEAM_WEBHOOKS`: a JSON object, team id → URL. */
const teamWebhooks = z
  .string()
  .transform((raw, ctx) => {
    if (raw === '') return {};
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object like {"team-nord":"https://…"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string().min(1), z.string().url('each team needs a URL like https://host/path'), {
      message: 'must be a JSON object like {"team-nord":"https://…"}',
    }),
  );

/**
 * `SMS_FALLBACK_NUMBERS`: `name=+4512345678,+4587654321`. The name is what logs and the alert's
 * notification list show; an entry without one is called `sms-1`, `sms-2`, …
 */
const phoneNumbers = z.string().transform((raw, ctx) => {
  const out: Array<{ name: string; number: string }> = [];
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    const eq = entry.indexOf('=');
    const name = eq >= 0 ? entry.slice(0, eq).trim() : `sms-${i + 1}`;
    const number = (eq >= 0 ? entry.slice(eq + 1) : entry).replace(/[\s-]/g, '');
    // never quote the entry: it is a phone number
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(name)) {
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: the name may use letters, digits, _ . -` });
    } else if (!/^\+?[0-9]{6,15}$/.test(number)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} is not a phone number (+ and 6 to 15 digits, optionally name=number)`,
      });
    } else out.push({ name, number });
  }
  return out;
});

/**
 * `TRUST_PROXY` (and `MQTT_PROXY_PROTOCOL_FROM`): reverse proxies whose `X-Forwarded-For`/`-Proto` are believed, as express's
 * `trust proxy` list: addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`.
 */
const proxyList = z.string().transform((raw, ctx) => {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    const [ip = '', bits, ...rest] = entry.split('/');
    const family = isIP(ip);
    const max = family === 6 ? 128 : 32;
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !prefixOk || rest.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not an address, a CIDR range (10.0.0.0/8) or loopback/linklocal/uniquelocal`,
      });
    }
  }
  return entries;
});

interface Setting<T extends z.ZodType> {
  env: string;
  schema: T;
  default: string;
  description: string;
  /** never echoed in an error: a password, a token, a URL that may hold one, phone numbers */
  secret?: boolean;
}
const s = <T extends z.ZodType>(
  env: string,
  schema: T,
  def: string,
  description: string,
  options: { secret?: boolean } = {},
): Setting<T> => ({
  env,
  schema,
  default: def,
  description,
  ...options,
});

/** The parts a process can run (`ROLES`, `tryghed start --roles`); see docs/operations.md. */
export const ROLES = ['broker', 'ingest', 'rules', 'dashboard'] as const;
export type Role = (typeof ROLES)[number];
const roles = z.string().transform((raw, ctx): Role[] => {
  const wanted = raw.trim() === 'all' || raw.trim() === '' ? [...ROLES] : raw.split(',').map((r) => r.trim());
  const unknown = wanted.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `must be all or a comma list of ${ROLES.join(', ')}` });
    return z.NEVER;
  }
  return ROLES.filter((r) => wanted.includes(r));
});

export const SETTINGS = {
  dataDir: s(
    'DATA_DIR',
    z.string().min(1),
    './data',
    'Folder for the SQLite file and a locally started influxd.',
  ),
  sqlitePath: s('SQLITE_PATH', z.string(), '', 'SQLite file; empty means `$DATA_DIR/tryghed.sqlite`.'),
  databaseUrl: s(
    'DATABASE_URL',
    z.union([
      z.literal(''),
      z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a URL like postgres://user:pass@host:5432/db'),
    ]),
    '',
    'PostgreSQL for the store, like postgres://user:pass@host:5432/tryghed; empty: SQLite at SQLITE_PATH.',
  ),
  redisUrl: s(
    'REDIS_URL',
    z.union([z.literal(''), z.string().regex(/^rediss?:\/\/\S+$/, 'must be a URL like redis://host:6379')]),
    '',
    'Redis shared by several broker processes (routing, retained messages, sessions), like redis://host:6379; empty: one broker, state in this process.',
    // may carry a password (redis://:password@host:6379): never echoed in an error
    { secret: true },
  ),
  roles: s(
    'ROLES',
    roles,
    'all',
    'Parts this process runs (`--roles`): all, or a list of broker, ingest, rules, dashboard; broker and ingest go together; not all needs DATABASE_URL and REDIS_URL (docs/operations.md).',
  ),
  httpHost: s(
    'HTTP_HOST',
    z.string().min(1),
    '127.0.0.1',
    'Address the dashboard listens on (0.0.0.0 for all).',
  ),
  httpPort: s('HTTP_PORT', port, '8080', 'Dashboard and API port (0 picks a free one).'),
  publicUrl: s(
    'PUBLIC_URL',
    z.union([z.literal(''), url]),
    '',
    'The URL people open; its origin is allowed for /live. Empty means http://HTTP_HOST:HTTP_PORT.',
  ),
  secureCookies: s(
    'SECURE_COOKIES',
    bool,
    'false',
    'Always mark session cookies Secure. They are anyway when PUBLIC_URL is https or a request came over HTTPS.',
  ),
  trustProxy: s(
    'TRUST_PROXY',
    proxyList,
    '',
    'Proxies whose X-Forwarded-For/-Proto are believed: addresses, CIDR ranges or loopback, comma separated; empty: none.',
  ),
  metricsToken: s(
    'METRICS_TOKEN',
    z.union([z.literal(''), z.string().min(16, 'at least 16 characters')]),
    '',
    'Bearer token Prometheus sends for /metrics (at least 16 characters); empty turns /metrics off.',
    { secret: true },
  ),
  sessionIdleMinutes: s(
    'SESSION_IDLE_MINUTES',
    positive(24 * 60),
    '30',
    'A session ends after this many minutes without a request (an open live board counts as activity).',
  ),
  sessionAbsoluteHours: s(
    'SESSION_ABSOLUTE_HOURS',
    positive(7 * 24),
    '12',
    'A session ends this many hours after login, whatever happens.',
  ),
  oidcIssuer: s(
    'OIDC_ISSUER',
    z.union([z.literal(''), url]),
    '',
    'OpenID Connect issuer (exactly as in its discovery document); empty means no OIDC login, only local accounts.',
  ),
  oidcClientId: s('OIDC_CLIENT_ID', z.string(), '', 'Our client id at the OIDC issuer.'),
  oidcClientSecret: s(
    'OIDC_CLIENT_SECRET',
    z.string(),
    '',
    'Our client secret at the OIDC issuer; empty for a public client (PKCE only).',
    { secret: true },
  ),
  oidcRedirectUrl: s(
    'OIDC_REDIRECT_URL',
    z.union([z.literal(''), url]),
    '',
    'The callback registered at the issuer; empty means PUBLIC_URL (or the dashboard URL) + /api/session/oidc/callback.',
  ),
  oidcUserClaim: s(
    'OIDC_USER_CLAIM',
    z.string().min(1),
    'sub',
    "The ID token claim whose value is a user's username here (e.g. sub, preferred_username); unknown users are refused.",
  ),
  mqttHost: s(
    'MQTT_HOST',
    z.string().min(1),
    '127.0.0.1',
    'Address the MQTT broker listens on (0.0.0.0 for homes on the network).',
  ),
  mqttPort: s(
    'MQTT_PORT',
    port,
    '1883',
    'Plain MQTT port for devices and gateways (0 picks a free one), unless MQTT_PLAIN_PORT says otherwise.',
  ),
  mqttPlainPort: s(
    'MQTT_PLAIN_PORT',
    listenerPort({ zeroIsOff: true, emptyAllowed: true }),
    '',
    'Plain (unencrypted) MQTT: `0` or `off` switches it off (do so in production), a number is its port; empty means MQTT_PORT.',
  ),
  mqttTlsPort: s(
    'MQTT_TLS_PORT',
    listenerPort(),
    '8883',
    'MQTT over TLS port (0 picks a free one); `off` switches TLS off.',
  ),
  mqttTlsCert: s(
    'MQTT_TLS_CERT',
    z.string(),
    '',
    "PEM file with the broker's certificate (and chain); empty means a self-signed one made on first start under `$DATA_DIR/tls/`.",
  ),
  mqttTlsKey: s(
    'MQTT_TLS_KEY',
    z.string(),
    '',
    "PEM file with that certificate's private key (set both or neither).",
  ),
  mqttTlsClientCert: s(
    'MQTT_TLS_CLIENT_CERT',
    z.enum(['off', 'optional', 'required'], { message: 'must be off, optional or required' }),
    'off',
    'Client certificates: `optional` checks one when presented, `required` refuses every connection without one; its common name must be the device id (the MQTT username).',
  ),
  mqttTlsCa: s(
    'MQTT_TLS_CA',
    z.string(),
    '',
    'PEM file with the CA(s) that issue client certificates; needed when MQTT_TLS_CLIENT_CERT is not off.',
  ),
  mqttProxyProtocolFrom: s(
    'MQTT_PROXY_PROTOCOL_FROM',
    proxyList,
    '',
    'TCP proxies whose plain/TLS MQTT connections must start with a PROXY protocol header naming the client: addresses, CIDR ranges or loopback; empty: none.',
  ),
  mqttWsPath: s(
    'MQTT_WS_PATH',
    webSocketPath,
    '/mqtt',
    "MQTT over WebSocket on this path of the dashboard's port (wss:// behind its HTTPS proxy); `off` switches it off.",
  ),
  mqttWsPort: s(
    'MQTT_WS_PORT',
    listenerPort(),
    'off',
    "MQTT over WebSocket on a port of its own (0 picks a free one), with the broker's TLS certificate when TLS is on; `off` by default.",
  ),
  mqttMaxPayloadBytes: s(
    'MQTT_MAX_PAYLOAD_BYTES',
    positive(1024 * 1024),
    '65536',
    'Largest MQTT payload accepted from a device, in bytes.',
  ),
  mqttReadSliceMs: s(
    'MQTT_READ_SLICE_MS',
    z.coerce.number({ message: 'must be a number' }).min(0).max(1000),
    String(DEFAULT_SLICE_MS),
    "Packets of devices that cannot raise an alarm are read at most this many ms per turn of the event loop (fractions allowed, e.g. 0.5), so an alarm device's packet is read between slices; 0: every connection is read as data arrives.",
  ),
  deviceSecretKey: s(
    'DEVICE_SECRET_KEY',
    z.string().refine((v) => v === '' || parseDeviceSecretKey(v) !== null, {
      message: 'must be 32 or more random bytes, as hex or base64 (e.g. `openssl rand -base64 32`)',
    }),
    '',
    'Key for device secret hashes (32+ bytes, hex or base64); empty: `$DATA_DIR/device-secret.key`, made at first start.',
    { secret: true },
  ),
  mqttPublicUrls: s(
    'MQTT_PUBLIC_URLS',
    z
      .string()
      .transform((raw) =>
        raw
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(/^(mqtts?|wss?):\/\/[^\s/]+/, 'each must be an mqtt://, mqtts://, ws:// or wss:// URL'),
        ),
      ),
    '',
    'Broker URLs for gateways in homes, best (TLS) first, comma separated; go into pairing bundles. Empty: this broker.',
  ),
  influxUrl: s('INFLUX_URL', url, 'http://127.0.0.1:8086', 'InfluxDB for readings.'),
  influxApi: s(
    'INFLUX_API',
    z.enum(['v1', 'v2']),
    'v1',
    'InfluxDB API: v1 (InfluxDB 1.x) or v2 (InfluxDB 2.x/3.x, needs INFLUX_TOKEN/ORG/BUCKET).',
  ),
  influxDatabase: s(
    'INFLUX_DATABASE',
    z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _'),
    'tryghed',
    'InfluxDB 1.x database.',
  ),
  influxUsername: s('INFLUX_USERNAME', z.string(), '', 'InfluxDB 1.x user, if auth is on.'),
  influxPassword: s('INFLUX_PASSWORD', z.string(), '', 'InfluxDB 1.x password, if auth is on.', {
    secret: true,
  }),
  influxToken: s('INFLUX_TOKEN', z.string(), '', 'InfluxDB 2.x API token.', { secret: true }),
  influxOrg: s('INFLUX_ORG', z.string(), '', 'InfluxDB 2.x organisation.'),
  influxBucket: s('INFLUX_BUCKET', z.string(), '', 'InfluxDB 2.x bucket.'),
  influxAutostart: s(
    'INFLUX_AUTOSTART',
    bool,
    'true',
    'When nothing answers at INFLUX_URL and `influxd` is installed, start it with data under DATA_DIR.',
  ),
  influxdBinary: s('INFLUXD_BINARY', z.string().min(1), 'influxd', 'The influxd program to start.'),
  retentionDays: s('RETENTION_DAYS', positive(3650), '365', 'How long readings are kept, in days.'),
  ingestBatchSize: s('INGEST_BATCH_SIZE', positive(100_000), '5000', 'Readings per InfluxDB write.'),
  ingestFlushMs: s(
    'INGEST_FLUSH_MS',
    positive(60_000),
    '200',
    'Longest a reading waits before it is written, in ms.',
  ),
  ingestRoutineSliceMs: s(
    'INGEST_ROUTINE_SLICE_MS',
    z.coerce.number({ message: 'must be a number' }).min(0).max(1000),
    String(DEFAULT_SLICE_MS),
    'Routine readings are judged at most this many ms per turn of the event loop (fractions allowed, e.g. 0.5), so an alarm is judged between slices; 0: every reading as it arrives.',
  ),
  ingestMaxBuffered: s(
    'INGEST_MAX_BUFFERED',
    positive(10_000_000),
    '200000',
    'Readings held while InfluxDB is unreachable; beyond that a reading gets no PUBACK, so the device sends it again.',
  ),
  ingestMaxBufferedPerDevice: s(
    'INGEST_MAX_PER_DEVICE',
    positive(10_000_000),
    '10000',
    'The share of INGEST_MAX_BUFFERED one device may hold, so one flooding device cannot fill it for all.',
  ),
  ingestSpool: s(
    'INGEST_SPOOL',
    bool,
    'true',
    'Spool readings to `$DATA_DIR/spool` (fsynced, replayed at start), PUBACK then; false: PUBACK once in InfluxDB.',
  ),
  ingestMaxClockAheadS: s(
    'INGEST_MAX_CLOCK_AHEAD_S',
    positive(86_400 * 366),
    '300',
    'Device time further ahead than this, or older than RETENTION_DAYS, is not believed: stored at the receive time.',
  ),
  rulesTickMs: s(
    'RULES_TICK_MS',
    positive(60_000),
    '1000',
    'How often time-based rules (inactivity, temperature, night, device offline) are checked, in ms.',
  ),
  leaseTtlMs: s(
    'LEASE_TTL_MS',
    positive(600_000),
    '6000',
    'Shard lease time to live (ms): a silent process keeps its homes this long. Longer: fewer false takeovers under load; shorter: faster takeover. At least 3 × LEASE_CYCLE_MS; same in all processes.',
  ),
  leaseCycleMs: s(
    'LEASE_CYCLE_MS',
    z.coerce
      .number({ message: 'must be a number of ms' })
      .int('must be a whole number')
      .min(100, 'must be 100..60000')
      .max(60_000, 'must be 100..60000'),
    '1000',
    'How often (ms) each process beats and reads, claims or releases the shard leases (docs/operations.md); the same in all processes on one store.',
  ),
  adminUsername: s(
    'ADMIN_USERNAME',
    z.string().min(1),
    'admin',
    'The first administrator, created when no administrator exists.',
  ),
  adminPassword: s(
    'ADMIN_PASSWORD',
    z.union([z.literal(''), z.string().min(8, 'at least 8 characters')]),
    '',
    'Its password; empty means one is generated and printed once.',
    { secret: true },
  ),
  escalateCriticalS: s(
    'ESCALATE_CRITICAL_S',
    seconds(10, 3600),
    '60',
    'Seconds a critical alert may stay unacknowledged before it goes to the whole team, and as long again to the fallback.',
  ),
  escalateHighS: s(
    'ESCALATE_HIGH_S',
    seconds(10, 86_400, true),
    '180',
    'The same for high alerts; 0 means they never escalate.',
  ),
  escalateMediumS: s(
    'ESCALATE_MEDIUM_S',
    seconds(10, 86_400, true),
    '900',
    'The same for medium alerts; 0 means they never escalate.',
  ),
  escalateLowS: s(
    'ESCALATE_LOW_S',
    seconds(10, 86_400, true),
    '0',
    'The same for low alerts; 0 means they never escalate.',
  ),
  escalationRenotifyMinS: s(
    'ESCALATION_RENOTIFY_MIN_S',
    seconds(10, 86_400),
    '60',
    'The fallback is reminded every deadline until someone acknowledges, but never more often than this, in seconds.',
  ),
  answerTargetS: s(
    'ANSWER_TARGET_S',
    seconds(10, 3600),
    '60',
    'Statistics: the share of alerts acknowledged within this many seconds of being raised (the telecare code asks 97.5 % within 60 s).',
  ),
  arrivalTargetMin: s(
    'ARRIVAL_TARGET_MIN',
    positive(24 * 60),
    '30',
    'Statistics: the share of alerts where a responder was "fremme" within this many minutes; the board marks an alert not reached by then.',
  ),
  nightRoundLookMin: s(
    'NIGHT_ROUND_LOOK_MIN',
    positive(180),
    '15',
    'Night round: a home nobody looked at within this many minutes of its round time is re-listed at the top; after twice this, an alert is raised to its team.',
  ),
  fallbackWebhookUrl: s(
    'FALLBACK_WEBHOOK_URL',
    optionalUrl,
    '',
    'Fallback outside the dashboard: alerts nobody takes on are POSTed here as JSON.',
    { secret: true },
  ),
  smsGatewayUrl: s(
    'SMS_GATEWAY_URL',
    optionalUrl,
    '',
    'SMS/phone gateway for the fallback: POST {to, text} with a bearer token.',
  ),
  smsGatewayToken: s('SMS_GATEWAY_TOKEN', z.string(), '', 'Bearer token for SMS_GATEWAY_URL.', {
    secret: true,
  }),
  smsFallbackNumbers: s(
    'SMS_FALLBACK_NUMBERS',
    phoneNumbers,
    '',
    'Fallback phone numbers, comma separated, each optionally named: `vagt=+4512345678`. Never logged; logs show the name.',
    { secret: true },
  ),
  teamWebhooks: s(
    'TEAM_WEBHOOKS',
    teamWebhooks,
    '',
    'Level 1 per team, as JSON: `{"team-nord":"https://…"}`; the whole team is told here too.',
    { secret: true },
  ),
  technicianWebhookUrl: s(
    'TECHNICIAN_WEBHOOK_URL',
    optionalUrl,
    '',
    'Technical alerts (device offline, battery) are POSTed here once; never to care notifiers.',
    { secret: true },
  ),
  notifyMaxAttempts: s(
    'NOTIFY_MAX_ATTEMPTS',
    positive(20),
    '5',
    'Attempts per webhook/SMS notice; 408, 429, 5xx and network errors are retried.',
  ),
  notifyBackoffMs: s(
    'NOTIFY_BACKOFF_MS',
    positive(60_000),
    '500',
    'First wait between attempts, in ms; doubled each time (with jitter, at most 30 s).',
  ),
  notifyTimeoutMs: s(
    'NOTIFY_TIMEOUT_MS',
    positive(120_000),
    '5000',
    'How long one notice request may take, in ms.',
  ),
  noticeLateS: s(
    'NOTICE_LATE_S',
    positive(86_400),
    '60',
    'A notice (webhook, SMS, care record) not delivered within this many seconds is shown to staff as "ikke leveret".',
  ),
  noticeGiveUpH: s(
    'NOTICE_GIVE_UP_H',
    positive(720),
    '24',
    'A notice still not delivered this many hours after it was made is given up (however few tries it had) and shown to staff as given up ("opgivet", too old).',
  ),
  fhirBaseUrl: s(
    'FHIR_BASE_URL',
    optionalUrl,
    '',
    'The care record\'s FHIR R4 base: a resolved alert of a home that said yes to "deling med journal" is POSTed to `<base>/Bundle` as a document, through the outbox (docs/care-record.md). Empty: nothing is sent.',
  ),
  fhirToken: s(
    'FHIR_TOKEN',
    z.string(),
    '',
    'Bearer token for FHIR_BASE_URL; empty sends no Authorization header.',
    {
      secret: true,
    },
  ),
  demo: s('DEMO', bool, 'false', 'Add simulated demo homes, teams and users (also `npm start -- --demo`).'),
  demoHomes: s('DEMO_HOMES', positive(1000), '6', 'How many demo homes.'),
  logLevel: s(
    'LOG_LEVEL',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    'info',
    'Log level.',
  ),
  logPretty: s('LOG_PRETTY', bool, 'false', 'Human-readable logs instead of JSON lines.'),
  logBufferBytes: s(
    'LOG_BUFFER_BYTES',
    z.coerce
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(64 * 1024)
      .max(1024 * 1024 * 1024),
    String(8 * 1024 * 1024),
    'Bytes of log lines held in memory while whatever reads the log output does not take them; lines beyond are dropped and counted (`tryghed_log_lines_dropped_total`), never waited for.',
  ),
} as const;

type Settings = typeof SETTINGS;
type RawConfig = { [K in keyof Settings]: z.output<Settings[K]['schema']> };
/** `mqttPlainPort` is resolved: the plain MQTT port (MQTT_PLAIN_PORT, else MQTT_PORT), or null when off. */
export type Config = Omit<RawConfig, 'mqttPlainPort' | 'mqttTlsPort' | 'mqttWsPort'> & {
  mqttPlainPort: number | null;
  /** null: off (never empty, so never undefined) */
  mqttTlsPort: number | null;
  mqttWsPort: number | null;
};

export class ConfigError extends Error {
  constructor(readonly problems: Array<{ env: string; message: string }>) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.env}: ${p.message}`).join('\n')}\n` +
        'Fix these environment variables (see the settings table in README.md).',
    );
    this.name = 'ConfigError';
  }
}

/** Reads every setting from `env` (and `overrides`, keyed by variable name), reporting all errors together. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Record<string, string> = {},
): Config {
  const problems: Array<{ env: string; message: string }> = [];
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = overrides[setting.env] ?? env[setting.env] ?? setting.default;
    const parsed = setting.schema.safeParse(raw.trim());
    if (parsed.success) out[key] = parsed.data;
    else
      problems.push({
        env: setting.env,
        message: `${parsed.error.issues[0]?.message ?? 'invalid'}${setting.secret ? '' : ` (got "${raw}")`}`,
      });
  }
  const config = out as Omit<Config, 'mqttPlainPort'> & { mqttPlainPort: number | null | undefined };
  if (problems.length === 0 && config.influxApi === 'v2') {
    for (const [env, value] of [
      ['INFLUX_TOKEN', config.influxToken],
      ['INFLUX_ORG', config.influxOrg],
      ['INFLUX_BUCKET', config.influxBucket],
    ] as const) {
      if (!value) problems.push({ env, message: 'required when INFLUX_API=v2' });
    }
  }
  if (problems.length === 0 && config.smsFallbackNumbers.length > 0) {
    for (const [env, value] of [
      ['SMS_GATEWAY_URL', config.smsGatewayUrl],
      ['SMS_GATEWAY_TOKEN', config.smsGatewayToken],
    ] as const) {
      if (!value) problems.push({ env, message: 'required when SMS_FALLBACK_NUMBERS is set' });
    }
  }
  if (problems.length === 0 && config.smsGatewayUrl && config.smsFallbackNumbers.length === 0) {
    problems.push({ env: 'SMS_FALLBACK_NUMBERS', message: 'required when SMS_GATEWAY_URL is set' });
  }
  if (problems.length === 0 && config.oidcIssuer && !config.oidcClientId) {
    problems.push({ env: 'OIDC_CLIENT_ID', message: 'required when OIDC_ISSUER is set' });
  }
  if (problems.length === 0 && config.leaseTtlMs < 3 * config.leaseCycleMs)
    problems.push({
      env: 'LEASE_TTL_MS',
      message: `must be at least 3 × LEASE_CYCLE_MS (${3 * config.leaseCycleMs}): a process beats once a cycle, and a lease shorter than three beats is lost to one late beat (got ${config.leaseTtlMs})`,
    });
  if (problems.length === 0) problems.push(...roleProblems(config));
  if (problems.length === 0) problems.push(...mqttListenerProblems(config, { ...env, ...overrides }));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...config,
    sqlitePath: config.sqlitePath || `${config.dataDir}/tryghed.sqlite`,
    mqttPlainPort: config.mqttPlainPort === undefined ? config.mqttPort : config.mqttPlainPort,
  };
}

/**
 * Roles that run apart: the broker hands what its devices publish to ingest in the same process
 * (a PUBACK means the reading was stored by the process that received it), so the two go
 * together; processes that split the work share the store (PostgreSQL) and tell each other what
 * happened (Redis, the cluster link): without either, a rules process would hear no reading.
 */
function roleProblems(config: { roles: Role[]; databaseUrl: string; redisUrl: string }) {
  const problems: Array<{ env: string; message: string }> = [];
  const has = (r: Role) => config.roles.includes(r);
  if (has('broker') !== has('ingest'))
    problems.push({
      env: 'ROLES',
      message:
        'broker and ingest run together (a PUBACK means the reading was stored by the process that received it): name both or neither',
    });
  if (config.roles.length < ROLES.length) {
    if (!config.databaseUrl)
      problems.push({
        env: 'DATABASE_URL',
        message: 'required when ROLES is not all: the processes share the store (PostgreSQL)',
      });
    if (!config.redisUrl)
      problems.push({
        env: 'REDIS_URL',
        message: 'required when ROLES is not all: the processes tell each other what happened through Redis',
      });
  }
  return problems;
}

/** How the MQTT listener settings fit together; each problem names the variable to change. */
function mqttListenerProblems(
  config: Omit<Config, 'mqttPlainPort'> & { mqttPlainPort: number | null | undefined },
  env: Record<string, string | undefined>,
): Array<{ env: string; message: string }> {
  const problems: Array<{ env: string; message: string }> = [];
  const explicitMqttPort = env.MQTT_PORT?.trim();
  if (
    typeof config.mqttPlainPort === 'number' &&
    explicitMqttPort &&
    Number(explicitMqttPort) !== config.mqttPlainPort
  ) {
    problems.push({
      env: 'MQTT_PLAIN_PORT',
      message: `says ${config.mqttPlainPort} but MQTT_PORT says ${explicitMqttPort}: set only one of them`,
    });
  }
  if (Boolean(config.mqttTlsCert) !== Boolean(config.mqttTlsKey)) {
    problems.push(
      config.mqttTlsCert
        ? { env: 'MQTT_TLS_KEY', message: 'required when MQTT_TLS_CERT is set' }
        : { env: 'MQTT_TLS_CERT', message: 'required when MQTT_TLS_KEY is set' },
    );
  }
  if (config.mqttTlsClientCert !== 'off') {
    if (config.mqttTlsPort === null) {
      problems.push({
        env: 'MQTT_TLS_CLIENT_CERT',
        message: 'client certificates need TLS on (MQTT_TLS_PORT)',
      });
    } else if (!config.mqttTlsCa) {
      problems.push({
        env: 'MQTT_TLS_CA',
        message: `required when MQTT_TLS_CLIENT_CERT=${config.mqttTlsClientCert}`,
      });
    }
  }
  if (
    config.mqttPlainPort === null &&
    config.mqttTlsPort === null &&
    config.mqttWsPath === null &&
    config.mqttWsPort === null
  ) {
    problems.push({
      env: 'MQTT_PLAIN_PORT',
      message:
        'plain MQTT, MQTT_TLS_PORT, MQTT_WS_PATH and MQTT_WS_PORT are all off: no device could connect',
    });
  }
  return problems;
}

/** The README's settings table, columns padded as a Markdown formatter would leave them. */
export function settingsTable(): string {
  const rows = [
    ['variable', 'default', 'meaning'],
    ...Object.values(SETTINGS).map((st) => [
      `\`${st.env}\``,
      st.default ? `\`${st.default}\`` : '(empty)',
      st.description,
    ]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
