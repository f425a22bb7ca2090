#!/usr/bin/env -S npx tsx
// Each command loads only its own parts: the gateway runs on a small box in a home and must not
// carry the platform (express, aedes, InfluxDB clients) in memory.

const USAGE = `Tryghed: consent-first home safety

  tryghed start [--demo]      the whole platform in one process (npm start)
  tryghed start --roles broker,ingest|rules|dashboard[,…]
                              only these parts, as one of several processes sharing
                              DATABASE_URL and REDIS_URL (default: all; same as ROLES)
  tryghed simulate [options]  simulated sensors against a running platform (npm run simulate -- --help)
  tryghed gateway [options]   the home gateway: zigbee2mqtt in a home → the platform (npm run gateway -- --help)
  tryghed migrate-store --from <sqlite file> --to <postgres URL>
                              copy an embedded SQLite store into a new, empty PostgreSQL database

Settings come from environment variables; see the table in README.md.`;

async function start(args: string[]): Promise<number> {
  const { DEMO_PASSWORD, DEMO_USERS } = await import('../platform/bootstrap.ts');
  const { ConfigError, loadConfig } = await import('../platform/config.ts');
  const { startPlatform } = await import('../platform/start.ts');
  const { createLogger } = await import('../services/runtime/index.ts');
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--demo') overrides.DEMO = 'true';
    else if (arg === '--roles' && args[i + 1]) overrides.ROLES = args[++i]!;
    else if (arg.startsWith('--roles=')) overrides.ROLES = arg.slice('--roles='.length);
    else {
      console.error(`unknown option ${arg}\n\n${USAGE}`);
      return 2;
    }
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const logger = createLogger({
    level: config.logLevel,
    pretty: config.logPretty,
    bufferBytes: config.logBufferBytes,
  });
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  try {
    platform = await startPlatform(config, { logger });
  } catch (err) {
    // Start errors name the setting to change; print them plainly, not as a stack trace.
    console.error(`Tryghed could not start: ${(err as Error).message}`);
    logger.debug({ err }, 'start failed');
    return 1;
  }
  const all = platform.roles.length === 4;
  const lines = ['', all ? `  Tryghed is running.` : `  Tryghed is running (${platform.roles.join(', ')}).`];
  if (platform.dashboardUrl) lines.push(`  Dashboard:  ${platform.dashboardUrl}`);
  else if (platform.opsUrl) lines.push(`  Health:     ${platform.opsUrl}/readyz`);
  const mqtt = platform.mqttEndpoints;
  if (mqtt.plain)
    lines.push(
      `  MQTT:       ${mqtt.plain}  (plain, unencrypted: switch off in production, MQTT_PLAIN_PORT=0)`,
    );
  if (mqtt.tls) lines.push(`  MQTT (TLS): ${mqtt.tls}`);
  if (mqtt.webSocketPath) lines.push(`  MQTT over WebSocket: ${mqtt.webSocketPath}`);
  if (mqtt.webSocket) lines.push(`  MQTT over WebSocket: ${mqtt.webSocket}`);
  if (platform.mqttTls) {
    const t = platform.mqttTls;
    lines.push(`  TLS certificate SHA-256 fingerprint: ${t.fingerprint256}`);
    lines.push(
      t.selfSigned
        ? `  (self-signed, kept in ${t.certPath}: gateways and simulators trust this file, --ca)`
        : `  (from MQTT_TLS_CERT, valid until ${t.validTo})`,
    );
  }
  if (platform.generatedAdminPassword) {
    lines.push(
      `  First administrator: ${config.adminUsername} / ${platform.generatedAdminPassword}`,
      '  (shown once; set ADMIN_PASSWORD to choose it yourself)',
    );
  }
  if (config.demo) {
    lines.push(
      `  Demo users (password "${DEMO_PASSWORD}"): ${DEMO_USERS.map((u) => `${u.username} (${u.role})`).join(', ')}`,
    );
  }
  for (const warning of platform.warnings) lines.push(`  WARNING: ${warning}`);
  lines.push('  Stop with Ctrl+C.', '');
  console.log(lines.join('\n'));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await platform.close();
  // The last lines go out if the log output takes them within 2 s. A reader that does not (a stalled
  // log shipper) must not keep a stopped platform alive: a service manager would wait for it, then
  // kill it, and the restart that brings alarms back would come that much later.
  const { logOutputOf } = await import('../services/runtime/index.ts');
  await logOutputOf(logger)?.close(2000);
  process.exit(0);
}

/** Copies a SQLite store into an empty PostgreSQL database (docs/store.md). Stop the platform first. */
async function migrateStore(args: string[]): Promise<number> {
  const { existsSync } = await import('node:fs');
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i]!, args[i + 1]];
    if ((flag !== '--from' && flag !== '--to') || !value) {
      console.error(`migrate-store: unknown option or missing value: ${flag}\n\n${USAGE}`);
      return 2;
    }
    options[flag.slice(2)] = value;
  }
  const { from, to } = options;
  if (!from || !to) {
    console.error(`migrate-store needs --from <sqlite file> and --to <postgres URL>\n\n${USAGE}`);
    return 2;
  }
  if (!/^postgres(ql)?:\/\/\S+$/.test(to)) {
    console.error('migrate-store: --to must be a URL like postgres://user:pass@host:5432/db');
    return 2;
  }
  // opening a missing file would make a new, empty store: say so instead
  if (!existsSync(from)) {
    console.error(`migrate-store: no such file ${from}`);
    return 1;
  }
  const { copyStore } = await import('../services/store/index.ts');
  const target = new URL(to);
  const where = `${target.host}${target.pathname}`;
  try {
    const report = await copyStore({ sqlitePath: from }, { databaseUrl: to });
    const width = Math.max(...report.tables.map((t) => t.table.length));
    const total = report.tables.reduce((n, t) => n + t.rows, 0);
    console.log(
      [
        `Copied ${total} rows from ${from} to PostgreSQL at ${where}; every table's count checked:`,
        ...report.tables.map((t) => `  ${t.table.padEnd(width)}  ${t.rows}`),
        'Start Tryghed with DATABASE_URL set to this database.',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    console.error(`migrate-store: nothing was copied: ${(err as Error).message}`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'simulate':
      return (await import('../simulators/index.ts')).runSimulatorCli(rest);
    case 'gateway':
      return (await import('../gateway/run.ts')).runGatewayCli(rest);
    case 'migrate-store':
      return migrateStore(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
