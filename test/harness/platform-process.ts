import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { StoreLocation } from '../../services/store/index.ts';

/** The administrator every test platform (in this process or a child) is started with. */
export const TEST_ADMIN = { username: 'admin', password: 'admin-password-1' };

const ROOT = join(import.meta.dirname, '..', '..');
/** the last line of `tryghed start`'s banner: everything above it has been printed */
const BANNER_END = 'Stop with Ctrl+C.';
/** how much of a child's output a failure message quotes */
const TAIL = 6000;

/** children still running when this test worker ends are killed with it, never left behind */
const alive = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of alive) c.kill('SIGKILL');
  });
}

export interface PlatformProcessEnv {
  /** DATA_DIR: the process's own folder (device secret key, TLS pair, spool, SQLite by default) */
  dataDir: string;
  /** INFLUX_DATABASE on the run's influxd; default a new one */
  database?: string;
  /** the store: DATABASE_URL for PostgreSQL, SQLITE_PATH for a SQLite file; default SQLite in dataDir */
  store?: StoreLocation;
  /** REDIS_URL: the broker cluster's shared routing and sessions */
  redisUrl?: string;
  /** fixed ports, for a restart on the same address (devices know it); default 0 (free, from the banner) */
  httpPort?: number;
  mqttPort?: number;
  /** the bearer for /metrics and /readyz's checks; default a fresh random one */
  metricsToken?: string;
  /** anything else, last: wins over every default above */
  env?: Record<string, string>;
}

/**
 * The environment of `tryghed start` in a test: the run's influxd (never a local one started by the
 * platform), free ports for HTTP, MQTT and MQTT over TLS (8883 is a fixed port), the test admin,
 * a METRICS_TOKEN, warnings only in the log.
 */
export function platformProcessEnv(o: PlatformProcessEnv): Record<string, string> {
  const store: Record<string, string> = !o.store
    ? {}
    : 'databaseUrl' in o.store
      ? { DATABASE_URL: o.store.databaseUrl }
      : { SQLITE_PATH: o.store.sqlitePath };
  return {
    LOG_LEVEL: 'warn',
    DATA_DIR: o.dataDir,
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DATABASE: o.database ?? `process_${process.pid}_${randomBytes(4).toString('hex')}`,
    INFLUX_AUTOSTART: 'false',
    HTTP_PORT: String(o.httpPort ?? 0),
    MQTT_PORT: String(o.mqttPort ?? 0),
    MQTT_TLS_PORT: '0',
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    METRICS_TOKEN: o.metricsToken ?? randomBytes(16).toString('hex'),
    ...store,
    ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    ...o.env,
  };
}

/** `bin/tryghed.ts <args>` as a child process, its stdout and stderr kept together. */
function spawnTryghed(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/tryghed.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  const listeners = new Set<() => void>();
  const collect = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // 'close', not 'exit': by then stdout and stderr are read to their end
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    }),
  );
  const tail = () => (out.length > TAIL ? `…${out.slice(-TAIL)}` : out);
  /** resolves with the output once it matches, rejects when the process ends first or time runs out */
  const waitFor = (pattern: string | RegExp, timeoutMs: number, what: string) =>
    new Promise<string>((resolve, reject) => {
      const matches = () => (typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out));
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('close', onEnd);
      };
      const check = () => {
        if (!matches()) return;
        done();
        resolve(out);
      };
      const onEnd = () => {
        if (matches()) return check();
        done();
        const { exitCode, signalCode } = child;
        reject(new Error(`${what}: the process ended (${signalCode ?? exitCode}) first:\n${tail()}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: not within ${timeoutMs} ms:\n${tail()}`));
      }, timeoutMs);
      listeners.add(check);
      if (ended) return onEnd();
      child.once('close', onEnd);
      check();
    });
  return { child, exited, output: () => out, tail, waitFor };
}

/** A running `tryghed start`: its addresses from the banner, its output, and ways to end it. */
export interface PlatformProcess {
  readonly child: ChildProcess;
  /** from the banner: `Dashboard: …` */
  readonly dashboardUrl: string;
  /** from the banner: `MQTT: …` (plain), when the process has a plain MQTT port */
  readonly mqttUrl: string | undefined;
  /** what the process was started with (the same env starts it again on the same store and ports) */
  readonly env: Readonly<Record<string, string>>;
  /** everything it printed so far, stdout and stderr */
  output(): string;
  /** waits until its output matches (a log line), failing with the output when it ends first */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** GET a path on its dashboard with the METRICS_TOKEN bearer (/readyz's details, /metrics) */
  operator(path: string): Promise<{ status: number; body: string }>;
  /** one sample of a Prometheus metric on /metrics (the first line for `name{labels}`), or undefined */
  metric(name: string): Promise<number | undefined>;
  running(): boolean;
  /** resolves when the process has ended */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9 (a power cut); resolves once it is gone */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop, as Ctrl+C); resolves with how it ended */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** for cleanup lists: kill -9 if it still runs */
  close(): Promise<void>;
}

/**
 * `tryghed start` as a real child process (for kill -9 and restarts); resolves once its banner is
 * printed: the store, InfluxDB, broker and dashboard are up. Rejects, quoting what it printed, when
 * it ends first or does not come up within `timeoutMs`. Close it (kill or stop) when done.
 */
export async function startPlatformProcess(
  o: PlatformProcessEnv & {
    /** after bin/tryghed.ts; default ['start'] */
    args?: string[];
    /** what in its output says it is up; default the banner's last line */
    upWhen?: string | RegExp;
    /** default 60 s: a start on a loaded machine */
    timeoutMs?: number;
  },
): Promise<PlatformProcess> {
  const env = platformProcessEnv(o);
  const p = spawnTryghed(o.args ?? ['start'], env);
  try {
    await p.waitFor(o.upWhen ?? BANNER_END, o.timeoutMs ?? 60_000, 'tryghed start did not come up');
  } catch (err) {
    p.child.kill('SIGKILL');
    throw err;
  }
  const banner = (label: string) => new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(p.output())?.[1];
  const dashboard = banner('Dashboard');
  const running = () => p.child.exitCode === null && p.child.signalCode === null;
  const operator = async (path: string) => {
    if (!dashboard) throw new Error(`no dashboard in the banner:\n${p.tail()}`);
    const res = await fetch(`${dashboard}${path}`, {
      headers: { authorization: `Bearer ${env.METRICS_TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text() };
  };
  const end = async (signal: NodeJS.Signals) => {
    if (running()) p.child.kill(signal);
    return p.exited;
  };
  return {
    child: p.child,
    get dashboardUrl() {
      if (!dashboard) throw new Error(`no dashboard in the banner:\n${p.tail()}`);
      return dashboard;
    },
    mqttUrl: banner('MQTT'),
    env,
    output: p.output,
    waitForOutput: (pattern, timeoutMs = 30_000) => p.waitFor(pattern, timeoutMs, `waiting for ${pattern}`),
    operator,
    async metric(name) {
      const { status, body } = await operator('/metrics');
      if (status !== 200) throw new Error(`/metrics answered ${status}: ${body}`);
      const line = body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
    running,
    exited: p.exited,
    kill: async () => {
      await end('SIGKILL');
    },
    stop: () => end('SIGTERM'),
    close: async () => {
      await end('SIGKILL');
    },
  };
}

/**
 * `tryghed <args>` run to its end, as a user would run it, for starts that must fail: how it ended
 * and what it printed. Killed (and rejected, with its output) when it runs longer than `timeoutMs`.
 */
export async function runPlatformProcess(
  o: PlatformProcessEnv & { args?: string[]; timeoutMs?: number },
): Promise<{ code: number | null; out: string }> {
  const p = spawnTryghed(o.args ?? ['start'], platformProcessEnv(o));
  const timeoutMs = o.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(
        new Error(
          `tryghed ${(o.args ?? ['start']).join(' ')} did not end within ${timeoutMs} ms:\n${p.tail()}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    const { code } = await Promise.race([p.exited, timedOut]);
    return { code, out: p.output() };
  } finally {
    clearTimeout(timer);
  }
}
