import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../platform/config.ts';
import { loadMqttTls } from '../platform/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import {
  COMPOSE_FILE,
  type ComposeFile,
  dependsOn,
  environmentOf,
  filledExampleEnv,
  HAPROXY_CFG,
  haproxyCheck,
  MissingVariable,
  ROOT,
  readCompose,
  readEnvFile,
  readHaproxy,
  variablesIn,
} from './harness/deploy.ts';
import { tempDir } from './harness/index.ts';

/**
 * docker-compose.yml and deploy/haproxy/haproxy.cfg, checked without Docker: what `docker compose
 * config` would say, what the platform's own config schema says about each replica's environment,
 * and what Debian's HAProxy says about its config. The HAProxy config at work, in front of two real
 * platform processes, is in deploy-haproxy.test.ts.
 */
const REPLICAS = ['platform-1', 'platform-2'];
const KNOWN_VARIABLES = new Set(Object.values(SETTINGS).map((s) => s.env));

const imageVersion = (image: string | undefined, name: string): string | null => {
  const m = new RegExp(`^${name}:(\\d+(?:\\.\\d+)*)`).exec(image ?? '');
  return m ? m[1]! : null;
};
const atLeast = (version: string | null, min: number[]) => {
  const parts = (version ?? '0').split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
};

describe('docker-compose.yml', () => {
  const env = filledExampleEnv();
  const compose: ComposeFile = readCompose(env);
  const services = compose.services;

  it('runs two platform replicas built from the Dockerfile behind HAProxy 2.6+, with PostgreSQL 15, Redis 7 and InfluxDB 2.x', () => {
    for (const name of [...REPLICAS, 'haproxy', 'postgres', 'redis', 'influxdb']) {
      expect(services[name], name).toBeDefined();
      expect(services[name]!.profiles, `${name} runs without a profile`).toBeUndefined();
    }
    for (const name of REPLICAS) {
      const build = services[name]!.build;
      const context = typeof build === 'string' ? build : build?.context;
      expect(context, `${name} is built here`).toBe('.');
      expect(existsSync(join(ROOT, context!, 'Dockerfile'))).toBe(true);
      expect(services[name]!.hostname).toBe(name);
    }
    expect(atLeast(imageVersion(services.haproxy!.image, 'haproxy'), [2, 6])).toBe(true);
    expect(imageVersion(services.postgres!.image, 'postgres')?.split('.')[0]).toBe('15');
    expect(imageVersion(services.redis!.image, 'redis')?.split('.')[0]).toBe('7');
    expect(imageVersion(services.influxdb!.image, 'influxdb')?.split('.')[0]).toBe('2');
    // every service it depends on is in the file
    for (const [name, service] of Object.entries(services)) {
      for (const target of Object.keys(dependsOn(service)))
        expect(services[target], `${name} → ${target}`).toBeDefined();
    }
  });

  it('has no default secret: each one must be set, and deploy/example.env lists every variable with empty secrets', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const { all, required } = variablesIn(text);
    const example = readEnvFile();
    for (const secret of [
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'INFLUX_TOKEN',
      'INFLUX_ADMIN_PASSWORD',
      'DEVICE_SECRET_KEY',
      'ADMIN_PASSWORD',
      'GRAFANA_ADMIN_PASSWORD',
    ]) {
      expect(required.has(secret), `${secret} is required (\${${secret}:?…})`).toBe(true);
      expect(example[secret], `${secret} is an empty placeholder in example.env`).toBe('');
    }
    expect(example.METRICS_TOKEN).toBe('');
    for (const variable of all)
      expect(Object.keys(example), `${variable} in example.env`).toContain(variable);
    // as docker compose does: the example as it is stops at a missing secret, naming it
    let missing: unknown;
    try {
      readCompose(example);
    } catch (err) {
      missing = err;
    }
    expect(missing).toBeInstanceOf(MissingVariable);
    expect(required.has((missing as MissingVariable).variable)).toBe(true);
    // and no secret value is written into the compose file itself
    expect(text).not.toMatch(/(PASSWORD|TOKEN|SECRET_KEY):\s*["']?[A-Za-z0-9+/=_-]{8,}["']?\s*$/m);
  });

  it('gives both replicas the same configuration, every variable of it one the platform knows and accepts', () => {
    const [one, two] = REPLICAS.map((name) => environmentOf(services[name]!));
    expect(two).toEqual(one);
    for (const variable of Object.keys(one!)) expect(KNOWN_VARIABLES, variable).toContain(variable);
    const config = loadConfig(one!);
    // the shared parts, by their service names on the project network
    expect(new URL(config.databaseUrl).hostname).toBe('postgres');
    expect(new URL(config.redisUrl).hostname).toBe('redis');
    expect(new URL(config.influxUrl).hostname).toBe('influxdb');
    expect(config.influxApi).toBe('v2');
    expect(config.influxAutostart).toBe(false);
    // production switches plain MQTT off from .env alone (see deploy/example.env)
    const production = environmentOf(readCompose({ ...env, MQTT_PLAIN_PORT: '0' }).services['platform-1']!);
    expect(loadConfig(production).mqttPlainPort).toBeNull();
    expect(config.mqttPlainPort).toBe(1883);
    // one device secret key for all: a device's secret must work on whichever replica it lands on
    expect(one!.DEVICE_SECRET_KEY).toBe(env.DEVICE_SECRET_KEY);
    // listening for HAProxy, not only on the container's loopback
    expect(config.httpHost).toBe('0.0.0.0');
    expect(config.mqttHost).toBe('0.0.0.0');
    // the Postgres and Redis passwords are the ones those services are given
    expect(decodeURIComponent(new URL(config.databaseUrl).password)).toBe(
      environmentOf(services.postgres!).POSTGRES_PASSWORD,
    );
    expect(new URL(config.redisUrl).password).toBe(env.REDIS_PASSWORD);
    expect(environmentOf(services.influxdb!).DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toBe(config.influxToken);
    expect(environmentOf(services.influxdb!).DOCKER_INFLUXDB_INIT_ORG).toBe(config.influxOrg);
    expect(environmentOf(services.influxdb!).DOCKER_INFLUXDB_INIT_BUCKET).toBe(config.influxBucket);
  });

  it('starts a replica only after PostgreSQL, Redis, InfluxDB and the TLS pair are there, and checks it by /readyz', () => {
    for (const name of ['postgres', 'redis', 'influxdb']) {
      expect(services[name]!.healthcheck?.test, `${name} has a health check`).toBeDefined();
    }
    for (const name of REPLICAS) {
      const service = services[name]!;
      expect(dependsOn(service)).toMatchObject({
        postgres: 'service_healthy',
        redis: 'service_healthy',
        influxdb: 'service_healthy',
        'mqtt-tls': 'service_completed_successfully',
      });
      const check = [service.healthcheck?.test ?? []].flat().join(' ');
      expect(check).toContain(`127.0.0.1:${environmentOf(service).HTTP_PORT}/readyz`);
    }
    // HAProxy waits for no replica: it routes by /readyz itself, a platform degraded by a shared
    // part must still get alarms, and platform-2 may be scaled to 0
    expect(dependsOn(services.haproxy!)).toEqual({});
  });

  it('keeps state in named volumes, one data folder per replica (the ingest spool is per process), one TLS pair for both', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const mounts = (name: string) =>
      (services[name]!.volumes ?? []).map((v) => {
        const [source = '', target = ''] = v.split(':');
        return { source, target };
      });
    for (const [name] of Object.entries(services)) {
      for (const { source } of mounts(name)) {
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(join(ROOT, source)), `${name} mounts ${source}, which exists`).toBe(true);
        } else {
          expect(declared, `${name}'s volume ${source} is declared`).toContain(source);
        }
      }
    }
    const dataVolume = (name: string) =>
      mounts(name).find((m) => m.target === environmentOf(services[name]!).DATA_DIR)?.source;
    expect(dataVolume('platform-1')).toBeDefined();
    expect(dataVolume('platform-2')).toBeDefined();
    expect(dataVolume('platform-1')).not.toBe(dataVolume('platform-2'));
    for (const name of REPLICAS) {
      const e = environmentOf(services[name]!);
      const tls = mounts(name).find((m) => e.MQTT_TLS_CERT!.startsWith(`${m.target}/`));
      expect(tls, `${name} mounts the folder of MQTT_TLS_CERT`).toBeDefined();
      expect(e.MQTT_TLS_KEY!.startsWith(`${tls!.target}/`)).toBe(true);
      // the same volume the one-shot mqtt-tls service writes the pair into
      expect(mounts('mqtt-tls').map((m) => m.source)).toContain(tls!.source);
    }
    for (const name of ['postgres', 'redis', 'influxdb'])
      expect(mounts(name).length, name).toBeGreaterThan(0);
  });

  it("makes one TLS pair the platform accepts, naming TRYGHED_HOST, and never replaces it (the mqtt-tls job's own command)", async () => {
    const job = services['mqtt-tls']!;
    expect(job.command).toHaveLength(1);
    const volume = (job.volumes ?? [])[0]!.split(':')[1]!;
    const dir = tempDir('tryghed-compose-tls-');
    try {
      // the command as the container's shell gets it, with the volume at a temp folder
      const script = String((job.command as string[])[0]).replaceAll(volume, dir.path);
      const run = () =>
        execFileSync('sh', ['-c', script], { env: { ...process.env, ...environmentOf(job) }, stdio: 'pipe' });
      run();
      const cert = new X509Certificate(readFileSync(join(dir.path, 'mqtt-server.pem')));
      expect(cert.checkHost(environmentOf(job).TRYGHED_HOST!)).toBeTruthy();
      expect(statSync(join(dir.path, 'mqtt-server.key')).mode & 0o077).toBe(0);
      // a replica's settings, pointed at the pair: the platform's own checks accept it
      const e = environmentOf(services['platform-1']!);
      const config = loadConfig({
        ...e,
        MQTT_TLS_CERT: e.MQTT_TLS_CERT!.replace(volume, dir.path),
        MQTT_TLS_KEY: e.MQTT_TLS_KEY!.replace(volume, dir.path),
      });
      const tls = await loadMqttTls(config, silentLogger());
      expect(tls?.fingerprint256).toBe(cert.fingerprint256);
      // the next `up` keeps it: gateways are paired with its fingerprint
      run();
      expect(new X509Certificate(readFileSync(join(dir.path, 'mqtt-server.pem'))).fingerprint256).toBe(
        cert.fingerprint256,
      );
    } finally {
      dir.remove();
    }
  });

  it('publishes ports only on HAProxy (and Grafana): the replicas and the stores are reachable only inside', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'haproxy' || name === 'grafana') continue;
      expect(service.ports, `${name} publishes no port`).toBeUndefined();
    }
    const published = (services.haproxy!.ports ?? []).map((p) => Number(p.split(':').at(-1)));
    expect(published.sort()).toEqual([1883, 8080, 8883]);
  });

  it("TRUST_PROXY names HAProxy's fixed address, inside the project's subnet", () => {
    const networks = services.haproxy!.networks as Record<string, { ipv4_address?: string }>;
    const address = networks.default?.ipv4_address ?? '';
    expect(isIPv4(address)).toBe(true);
    for (const name of REPLICAS)
      expect(loadConfig(environmentOf(services[name]!)).trustProxy).toEqual([address]);
    const subnet = compose.networks?.default?.ipam?.config?.[0]?.subnet ?? '';
    const [base = '', bits = ''] = subnet.split('/');
    expect(isIPv4(base)).toBe(true);
    const hostBits = 32 - Number(bits);
    expect(hostBits).toBeGreaterThan(0);
    const network = (ip: string) =>
      Math.floor(ip.split('.').reduce((n, part) => n * 256 + Number(part), 0) / 2 ** hostBits);
    expect(network(address)).toBe(network(base));
  });

  it('HAProxy writes a PROXY v2 header on every MQTT server and only there; the replicas believe it only from HAProxy', () => {
    const networks = services.haproxy!.networks as Record<string, { ipv4_address?: string }>;
    const address = networks.default?.ipv4_address ?? '';
    for (const name of REPLICAS) {
      const config = loadConfig(environmentOf(services[name]!));
      expect(config.mqttProxyProtocolFrom, name).toEqual([address]);
      expect(config.mqttProxyProtocolFrom).toEqual(config.trustProxy);
    }
    const { servers, sections } = readHaproxy();
    const e = environmentOf(services['platform-1']!);
    const mqttPorts = new Set([Number(e.MQTT_PORT), Number(e.MQTT_TLS_PORT)]);
    const mqttServers = servers.filter((s) => mqttPorts.has(s.port));
    expect(mqttServers.length).toBeGreaterThanOrEqual(4);
    for (const server of servers) {
      const sendsProxy = /(^|\s)send-proxy(-v2)?(\s|$)/.test(server.options);
      expect(sendsProxy, `${server.backend} ${server.name}:${server.port}`).toBe(mqttPorts.has(server.port));
      if (sendsProxy) expect(server.options).toMatch(/(^|\s)send-proxy-v2(\s|$)/);
    }
    // a check with a port of its own carries no PROXY header: the MQTT backends' checks go to the
    // HTTP port (plain /readyz), and none forces one on
    const mqttDefaults = [...sections.entries()].find(([name]) => name === 'defaults mqtt')?.[1] ?? [];
    expect(mqttDefaults.find((l) => l.startsWith('default-server'))).toMatch(
      new RegExp(`check port ${e.HTTP_PORT}\\b`),
    );
    expect(readFileSync(HAPROXY_CFG, 'utf8')).not.toMatch(/check-send-proxy/);
  });

  it('mounts the HAProxy config, which sends every frontend to both replicas on the ports they listen on', () => {
    const mount = (services.haproxy!.volumes ?? []).find((v) => v.includes('haproxy.cfg'));
    expect(mount?.split(':')[0]).toBe('./deploy/haproxy/haproxy.cfg');
    expect(existsSync(HAPROXY_CFG)).toBe(true);
    const { binds, servers } = readHaproxy();
    const published = (services.haproxy!.ports ?? []).map((p) => Number(p.split(':').at(-1))).sort();
    expect(binds.map((b) => b.port).sort()).toEqual(published);

    const e = environmentOf(services['platform-1']!);
    const listens = new Set([Number(e.HTTP_PORT), Number(e.MQTT_PORT), Number(e.MQTT_TLS_PORT)]);
    const backends = new Set(servers.map((s) => s.backend));
    expect(backends.size).toBeGreaterThanOrEqual(3);
    for (const backend of backends) {
      const inBackend = servers.filter((s) => s.backend === backend);
      expect(inBackend.map((s) => s.host).sort(), backend).toEqual(REPLICAS);
      for (const s of inBackend) expect(listens, `${backend} ${s.name}:${s.port}`).toContain(s.port);
    }
    // health checks probe the platform's HTTP port, also for MQTT
    expect(readFileSync(HAPROXY_CFG, 'utf8')).toContain(`check port ${e.HTTP_PORT}`);
  });
});

describe('deploy/haproxy/haproxy.cfg', () => {
  it("is valid for Debian's HAProxy 2.6 (haproxy -c), warning only that the replicas' names resolve in Docker alone", () => {
    const { status, output } = haproxyCheck(HAPROXY_CFG);
    expect(status, output).toBe(0);
    const warnings = output.split('\n').filter((l) => l.includes('[WARNING]') || l.includes('[ALERT]'));
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) expect(w).toMatch(/could not resolve address 'platform-\d'/);
  });

  it('refuses a broken config: the check is real', () => {
    const { status } = haproxyCheck(join(ROOT, 'test', 'fixtures', 'haproxy-broken.cfg'));
    expect(status).not.toBe(0);
  });
});
