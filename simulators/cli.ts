import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger } from '../services/runtime/index.ts';
import { restProvisioner } from './provisioner.ts';
import { playScenario } from './run.ts';
import { SCENARIO_NAMES, type Scenario, scenario } from './scenarios.ts';
import { SimulatedHome } from './simulated-home.ts';

export const SIMULATOR_USAGE = `Simulated sensors against a running Tryghed.

  npm run simulate -- --scenario <name> [options]

Scenarios: ${SCENARIO_NAMES.join(', ')}

Options:
  --scenario <name>   what happens in the home (required)
  --home <id>         the simulated home (default sim-1; created when missing)
  --team <id>         its care team (default team-nord; created when missing)
  --api <url>         the dashboard/API (or env TRYGHED_API; default http://127.0.0.1:8080,
                      the platform's HTTP_PORT)
  --mqtt <url>        the broker: mqtt://, mqtts:// (TLS), ws:// or wss:// (WebSocket)
                      (or env TRYGHED_MQTT; default mqtt://127.0.0.1:1883, MQTT_PORT)
  --ca <file>         PEM file of the CA that signed the broker's certificate (for mqtts://
                      and wss://; the platform prints its fingerprint and keeps a self-signed
                      one in DATA_DIR/tls/mqtt-server.pem); without it, the system's CAs.
                      The broker's certificate is always verified.
  --user <name>       an administrator (or env TRYGHED_USER; default admin). A technician
                      is refused: the simulator creates a team and a home and records the
                      citizen's consent, which only an administrator may do
  --password <pw>     its password (or env TRYGHED_PASSWORD)
  --via-gateway       send through a simulated home gateway instead of one connection per device
  --via-zigbee2mqtt <url>
                      publish zigbee2mqtt-shaped messages on this local broker (the home's
                      mosquitto), read by a home gateway paired through the platform
  --live              the home is NOT a test home: its alerts page staff like real ones
                      (for a drill); without it, everything sent is test data that never
                      pages staff or notifiers and is left out of statistics
  --seed <n>          seed for the routine scenario (default 1)
  --speed <n>         virtual-time speed-up for routine (default 60: a minute per second,
                      so a day takes 24 minutes; a line per simulated hour shows progress)
  --help              this text
`;

const Args = z.object({
  scenario: z.enum(SCENARIO_NAMES, { message: `--scenario must be one of ${SCENARIO_NAMES.join(', ')}` }),
  home: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$/, '--home: letters, digits, - and _')
    .default('sim-1'),
  team: z.string().min(1).default('team-nord'),
  api: z.string().url('--api must be a URL').default('http://127.0.0.1:8080'),
  mqtt: z
    .string()
    .regex(/^(mqtts?|wss?):\/\/.+/, '--mqtt must be an mqtt://, mqtts://, ws:// or wss:// URL')
    .default('mqtt://127.0.0.1:1883'),
  ca: z.string().min(1).optional(),
  user: z.string().min(1).default('admin'),
  password: z.string().min(1, '--password (or TRYGHED_PASSWORD) is required'),
  'via-gateway': z.boolean().default(false),
  'via-zigbee2mqtt': z
    .string()
    .regex(/^mqtts?:\/\/.+/, '--via-zigbee2mqtt must be the local broker as mqtt://host:port')
    .optional(),
  live: z.boolean().default(false),
  seed: z.coerce.number().int('--seed must be a whole number').default(1),
  speed: z.coerce.number().positive('--speed must be positive').max(100_000).default(60),
});

/** `npm run simulate -- …`: exit code 0 when the scenario ran, 2 for bad arguments, 1 on failure. */
export async function runSimulatorCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string' },
        home: { type: 'string' },
        team: { type: 'string' },
        api: { type: 'string' },
        mqtt: { type: 'string' },
        ca: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        'via-gateway': { type: 'boolean' },
        'via-zigbee2mqtt': { type: 'string' },
        live: { type: 'boolean' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${SIMULATOR_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(SIMULATOR_USAGE);
    return 0;
  }
  const parsed = Args.safeParse({
    ...values,
    api: values.api ?? env.TRYGHED_API,
    mqtt: values.mqtt ?? env.TRYGHED_MQTT,
    user: values.user ?? env.TRYGHED_USER,
    password: values.password ?? env.TRYGHED_PASSWORD ?? '',
  });
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => i.message).join('\n')}\n\n${SIMULATOR_USAGE}`);
    return 2;
  }
  const a = parsed.data;
  let ca: string | undefined;
  if (a.ca) {
    try {
      ca = readFileSync(a.ca, 'utf8');
    } catch (err) {
      console.error(
        `--ca: cannot read ${a.ca} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
      return 2;
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      console.error(`--ca: ${a.ca} is not a PEM certificate`);
      return 2;
    }
  }
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn' });
  const chosen = scenario(a.scenario, a.seed);
  let home: SimulatedHome | null = null;
  try {
    const provisioner = restProvisioner({ apiUrl: a.api, username: a.user, password: a.password });
    await provisioner.ensureTeam(a.team, a.team);
    home = await SimulatedHome.start({
      homeId: a.home,
      label: `Simulator: ${a.home}`,
      teamId: a.team,
      brokerUrl: a.mqtt,
      ...(ca ? { ca } : {}),
      provisioner,
      logger,
      viaGateway: a['via-gateway'],
      ...(a['via-zigbee2mqtt'] ? { viaZigbee2mqtt: { localUrl: a['via-zigbee2mqtt'] } } : {}),
      test: !a.live,
      ...(chosen.settings ? { settings: chosen.settings } : {}),
    });
    console.log(
      `${chosen.name}: ${chosen.description} (home ${a.home}${a.live ? ', LIVE: staff are paged' : ', test home: nobody is paged'})`,
    );
    const speed = a.scenario === 'routine' ? a.speed : 1;
    const sent = await playScenario(home, chosen, { speed, onProgress: progressPrinter(chosen) });
    console.log(`sent ${sent} readings`);
    return 0;
  } catch (err) {
    console.error(`simulation failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await home?.stop();
  }
}

const HOUR = 3_600_000;

/**
 * A line per simulated hour for a scenario longer than a minute of real time at speed 1 (routine),
 * so a 24-minute run is seen to be working.
 */
function progressPrinter(chosen: Scenario): ((sent: number, total: number, at: number) => void) | undefined {
  const last = chosen.steps.at(-1)?.at ?? 0;
  if (last < HOUR) return undefined;
  let shownHour = -1;
  return (sent, total, at) => {
    const hour = Math.floor(at / HOUR);
    if (hour === shownHour && sent !== total) return;
    shownHour = hour;
    const pct = Math.round((sent / total) * 100);
    console.log(
      `${chosen.name}: ${String(hour).padStart(2, '0')}:00 of ${Math.ceil(last / HOUR)}:00 simulated, ${sent}/${total} readings sent (${pct} %)`,
    );
  };
}
