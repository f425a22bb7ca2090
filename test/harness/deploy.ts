import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The project's root, where docker-compose.yml is. */
export const ROOT = join(import.meta.dirname, '..', '..');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const EXAMPLE_ENV_FILE = join(ROOT, 'deploy', 'example.env');
export const HAPROXY_CFG = join(ROOT, 'deploy', 'haproxy', 'haproxy.cfg');
/** Debian's haproxy; the setup script installs it (`npm run setup`) */
export const HAPROXY_BINARY = '/usr/sbin/haproxy';

export interface ComposeService {
  image?: string;
  build?: string | { context: string };
  hostname?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string | string[] };
  ports?: string[];
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
  profiles?: string[];
}
export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: Array<{ subnet?: string }> } }>;
}

/** A `${NAME:?message}` whose variable is unset or empty: what `docker compose config` stops at. */
export class MissingVariable extends Error {
  constructor(readonly variable: string) {
    super(`${variable} is required`);
  }
}

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's interpolation of one string: `$$`, `$X`, `${X}`, `${X:-default}`, `${X-default}`, `${X:?err}`, `${X?err}`. */
export function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    REFERENCE,
    (match, name: string | undefined, colon: string, op: string, arg: string, bare: string | undefined) => {
      if (match === '$$') return '$';
      const variable = (name ?? bare)!;
      const v = env[variable];
      const unset = v === undefined || (colon === ':' && v === '');
      if (op === '-') return unset ? arg : v!;
      if (op === '?') {
        if (unset) throw new MissingVariable(variable);
        return v!;
      }
      return v ?? '';
    },
  );
}

/** Every variable the text refers to, and those it requires (`${X:?…}`). */
export function variablesIn(text: string): { all: Set<string>; required: Set<string> } {
  const all = new Set<string>();
  const required = new Set<string>();
  for (const m of text.matchAll(REFERENCE)) {
    if (m[0] === '$$') continue;
    const variable = (m[1] ?? m[5])!;
    all.add(variable);
    if (m[3] === '?') required.add(variable);
  }
  return { all, required };
}

/** `deploy/example.env`: NAME=value lines, comments and blank lines skipped. */
export function readEnvFile(path = EXAMPLE_ENV_FILE): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** deploy/example.env with every secret filled in, fresh, as an operator would */
export function filledExampleEnv(): Record<string, string> {
  const secret = () => randomBytes(24).toString('hex');
  return {
    ...readEnvFile(),
    POSTGRES_PASSWORD: secret(),
    REDIS_PASSWORD: secret(),
    INFLUX_ADMIN_PASSWORD: secret(),
    INFLUX_TOKEN: secret(),
    DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
    ADMIN_PASSWORD: secret(),
    GRAFANA_ADMIN_PASSWORD: secret(),
    METRICS_TOKEN: secret(),
    TRYGHED_HOST: 'tryghed.kommune.example',
  };
}

function interpolateAll(node: unknown, env: Record<string, string>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, env));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)]));
  return node;
}

/** docker-compose.yml as Compose reads it: YAML merge keys applied, then variables from `env`. */
export function readCompose(env: Record<string, string>): ComposeFile {
  const doc = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as unknown;
  return interpolateAll(doc, env) as ComposeFile;
}

/** A service's environment as strings, the way the container sees it. */
export function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );
}

export function dependsOn(service: ComposeService): Record<string, string> {
  const d = service.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v.condition]));
}

/** One `server` line of haproxy.cfg: its backend, name, host and port. */
export interface HaproxyServer {
  backend: string;
  name: string;
  host: string;
  port: number;
  options: string;
}

/** The parts of haproxy.cfg the tests look at: sections, binds and servers. */
export function readHaproxy(text = readFileSync(HAPROXY_CFG, 'utf8')) {
  const binds: Array<{ frontend: string; port: number }> = [];
  const servers: HaproxyServer[] = [];
  const sections = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trimEnd();
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      section = line.trim();
      sections.set(section, []);
      continue;
    }
    sections.get(section)?.push(line.trim());
    const bind = /^\s*bind\s+\S*:(\d+)/.exec(line);
    if (bind) binds.push({ frontend: section, port: Number(bind[1]) });
    const server = /^\s*server\s+(\S+)\s+([^\s:]+):(\d+)(.*)$/.exec(line);
    if (server)
      servers.push({
        backend: section,
        name: server[1]!,
        host: server[2]!,
        port: Number(server[3]),
        options: server[4]!.trim(),
      });
  }
  return { binds, servers, sections };
}

/** `haproxy -c -f file`: the exit code and everything it said. Throws when haproxy is not installed. */
export function haproxyCheck(file: string): { status: number; output: string } {
  const result = spawnSync(HAPROXY_BINARY, ['-c', '-f', file], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `cannot run ${HAPROXY_BINARY} (${result.error.message}): install Debian's haproxy (npm run setup)`,
    );
  }
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/**
 * haproxy.cfg for one machine: each frontend binds 127.0.0.1 on a port of `frontendPorts` (by the
 * port it binds in Docker); each replica `platform-N` becomes the loopback address `replicas[name]`,
 * and the ports the replicas listen on (in `server` lines and `check port`) become `replicaPorts`;
 * `maxconn`, when given, is lowered to what this machine's file limit allows. Everything else (checks, fallbacks, timeouts, headers) stays as written.
 */
export function haproxyForOneMachine(
  text: string,
  o: {
    frontendPorts: Record<number, number>;
    replicas: Record<string, string>;
    replicaPorts: Record<number, number>;
    /** `maxconn` needs twice as many file descriptors; this machine may allow fewer than Docker */
    maxconn?: number;
  },
): string {
  const port = (map: Record<number, number>, p: string) => {
    const to = map[Number(p)];
    if (to === undefined) throw new Error(`haproxy.cfg uses port ${p}, which the test does not map`);
    return String(to);
  };
  return text
    .split('\n')
    .map((line) => {
      if (o.maxconn !== undefined && /^\s*maxconn\s+\d+\s*$/.test(line))
        return line.replace(/\d+/, String(o.maxconn));
      if (/^\s*bind\s/.test(line))
        return line.replace(/\S*:(\d+)/, (_m, p: string) => `127.0.0.1:${port(o.frontendPorts, p)}`);
      if (/^\s*(server|default-server)\s/.test(line)) {
        return line
          .replace(/\b(platform-\d+):(\d+)/g, (_m, host: string, p: string) => {
            const address = o.replicas[host];
            if (!address) throw new Error(`haproxy.cfg names ${host}, which the test does not map`);
            return `${address}:${port(o.replicaPorts, p)}`;
          })
          .replace(/\bport (\d+)/g, (_m, p: string) => `port ${port(o.replicaPorts, p)}`);
      }
      return line;
    })
    .join('\n');
}
