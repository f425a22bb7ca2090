import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS, settingsTable } from '../platform/config.ts';

describe('config: one schema', () => {
  it('gives working defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.httpPort).toBe(8080);
    expect(config.mqttPort).toBe(1883);
    expect(config.influxApi).toBe('v1');
    expect(config.sqlitePath).toBe('./data/tryghed.sqlite');
    expect(config.demo).toBe(false);
  });

  it('reports every bad value at once, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({ HTTP_PORT: 'eighty', MQTT_PORT: '70000', INFLUX_URL: 'not a url', DEMO: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.env).sort();
    expect(names).toEqual(['DEMO', 'HTTP_PORT', 'INFLUX_URL', 'MQTT_PORT']);
    expect((error as Error).message).toContain('HTTP_PORT');
  });

  it('takes slices of routine work in fractions of a millisecond, and refuses a negative one', () => {
    const config = loadConfig({ MQTT_READ_SLICE_MS: '0.25', INGEST_ROUTINE_SLICE_MS: '0.5' });
    expect(config.mqttReadSliceMs).toBe(0.25);
    expect(config.ingestRoutineSliceMs).toBe(0.5);
    expect(() => loadConfig({ MQTT_READ_SLICE_MS: '-1' })).toThrow(/MQTT_READ_SLICE_MS/);
  });

  it('asks for the v2 credentials when INFLUX_API=v2', () => {
    expect(() => loadConfig({ INFLUX_API: 'v2' })).toThrow(
      /INFLUX_TOKEN[\s\S]*INFLUX_ORG[\s\S]*INFLUX_BUCKET/,
    );
  });

  it('has lease timings, and refuses a lease shorter than three cycles, naming the setting', () => {
    const config = loadConfig({});
    expect([config.leaseTtlMs, config.leaseCycleMs]).toEqual([6000, 1000]);
    expect(loadConfig({ LEASE_TTL_MS: '15000', LEASE_CYCLE_MS: '2000' })).toMatchObject({
      leaseTtlMs: 15_000,
      leaseCycleMs: 2000,
    });
    expect(loadConfig({ LEASE_TTL_MS: '3000' }).leaseTtlMs).toBe(3000);
    expect(() => loadConfig({ LEASE_TTL_MS: '2999' })).toThrow(
      /LEASE_TTL_MS.*at least 3 × LEASE_CYCLE_MS \(3000\)/,
    );
    expect(() => loadConfig({ LEASE_TTL_MS: '12000', LEASE_CYCLE_MS: '5000' })).toThrow(/LEASE_TTL_MS/);
    expect(() => loadConfig({ LEASE_CYCLE_MS: '50' })).toThrow(/LEASE_CYCLE_MS/);
  });

  it('the README documents every setting', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const missing = Object.values(SETTINGS)
      .map((s) => s.env)
      .filter((env) => !readme.includes(`\`${env}\``));
    expect(missing).toEqual([]);
    // and the table is exactly what the schema generates (`npx tsx scripts/settings-table.ts --write`)
    expect(readme).toContain(settingsTable());
  });

  it('has session timeouts and optional OIDC, which needs a client id when an issuer is set', () => {
    const config = loadConfig({});
    expect(config.sessionIdleMinutes).toBe(30);
    expect(config.sessionAbsoluteHours).toBe(12);
    expect(config.oidcIssuer).toBe('');
    expect(loadConfig({ SESSION_IDLE_MINUTES: '5' }).sessionIdleMinutes).toBe(5);
    expect(() => loadConfig({ SESSION_ABSOLUTE_HOURS: '0' })).toThrow(/SESSION_ABSOLUTE_HOURS/);
    expect(() => loadConfig({ OIDC_ISSUER: 'https://login.example.dk' })).toThrow(/OIDC_CLIENT_ID/);
    expect(
      loadConfig({ OIDC_ISSUER: 'https://login.example.dk', OIDC_CLIENT_ID: 'tryghed' }).oidcUserClaim,
    ).toBe('sub');
  });

  it('TRUST_PROXY: none by default; addresses, CIDR ranges and loopback; anything else named', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,fd00::/8,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['*', 'true', '10.0.0.0/33', 'proxy.example.dk', '10.0.0.1/8/2']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  it('MQTT_PROXY_PROTOCOL_FROM: none by default; parsed as TRUST_PROXY; anything else named', () => {
    expect(loadConfig({}).mqttProxyProtocolFrom).toEqual([]);
    expect(
      loadConfig({ MQTT_PROXY_PROTOCOL_FROM: '172.30.0.10, 10.0.0.0/8,loopback' }).mqttProxyProtocolFrom,
    ).toEqual(['172.30.0.10', '10.0.0.0/8', 'loopback']);
    for (const bad of ['*', 'haproxy', '10.0.0.0/33']) {
      expect(() => loadConfig({ MQTT_PROXY_PROTOCOL_FROM: bad })).toThrow(/MQTT_PROXY_PROTOCOL_FROM/);
    }
  });

  it('escalation and notifier settings: defaults, named errors, and no secret quoted back', () => {
    const config = loadConfig({});
    expect([
      config.escalateCriticalS,
      config.escalateHighS,
      config.escalateMediumS,
      config.escalateLowS,
    ]).toEqual([60, 180, 900, 0]);
    expect(config.smsFallbackNumbers).toEqual([]);
    expect(config.teamWebhooks).toEqual({});

    const parsed = loadConfig({
      SMS_GATEWAY_URL: 'https://sms.example/send',
      SMS_GATEWAY_TOKEN: 'tok',
      SMS_FALLBACK_NUMBERS: 'vagt=+45 12 34 56 78, +4587654321',
      TEAM_WEBHOOKS: '{"team-nord":"https://chat.example/hook"}',
    });
    expect(parsed.smsFallbackNumbers).toEqual([
      { name: 'vagt', number: '+4512345678' },
      { name: 'sms-2', number: '+4587654321' },
    ]);
    expect(parsed.teamWebhooks).toEqual({ 'team-nord': 'https://chat.example/hook' });

    let error: ConfigError | undefined;
    try {
      loadConfig({
        ESCALATE_CRITICAL_S: '0',
        SMS_FALLBACK_NUMBERS: 'vagt=+4512345678,not-a-number-99',
        TEAM_WEBHOOKS: '{"team-nord":',
        FALLBACK_WEBHOOK_URL: 'hooks.example/secret-token',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.env).sort()).toEqual([
      'ESCALATE_CRITICAL_S',
      'FALLBACK_WEBHOOK_URL',
      'SMS_FALLBACK_NUMBERS',
      'TEAM_WEBHOOKS',
    ]);
    expect(error?.message).not.toContain('4512345678');
    expect(error?.message).not.toContain('secret-token');

    expect(() => loadConfig({ SMS_FALLBACK_NUMBERS: '+4512345678' })).toThrow(
      /SMS_GATEWAY_URL: required[\s\S]*SMS_GATEWAY_TOKEN: required/,
    );
    expect(() => loadConfig({ SMS_GATEWAY_URL: 'https://sms.example/send' })).toThrow(/SMS_FALLBACK_NUMBERS/);
  });
});

describe('config: MQTT listeners', () => {
  it('defaults: plain MQTT on MQTT_PORT, TLS on 8883, WebSocket on the dashboard at /mqtt', () => {
    const c = loadConfig({});
    expect([c.mqttPlainPort, c.mqttTlsPort, c.mqttTlsClientCert, c.mqttWsPath, c.mqttWsPort]).toEqual([
      1883,
      8883,
      'off',
      '/mqtt',
      null,
    ]);
    // MQTT_PORT keeps working for existing setups; 0 there still picks a free port
    expect(loadConfig({ MQTT_PORT: '0' }).mqttPlainPort).toBe(0);
    expect(loadConfig({ MQTT_PORT: '1884' }).mqttPlainPort).toBe(1884);
  });

  it('MQTT_PLAIN_PORT=0 or off switches plain MQTT off; a number is its port; off switches TLS and WebSocket off', () => {
    expect(loadConfig({ MQTT_PLAIN_PORT: '0' }).mqttPlainPort).toBeNull();
    expect(loadConfig({ MQTT_PLAIN_PORT: 'off', MQTT_PORT: '0' }).mqttPlainPort).toBeNull();
    expect(loadConfig({ MQTT_PLAIN_PORT: '11883' }).mqttPlainPort).toBe(11883);
    const off = loadConfig({ MQTT_TLS_PORT: 'off', MQTT_WS_PATH: 'off' });
    expect([off.mqttTlsPort, off.mqttWsPath]).toEqual([null, null]);
    expect(loadConfig({ MQTT_TLS_PORT: '0', MQTT_WS_PORT: '0' })).toMatchObject({
      mqttTlsPort: 0,
      mqttWsPort: 0,
    });
  });

  it('refuses settings that do not fit together, naming the variable', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems.map((p) => `${p.env}: ${p.message}`);
      }
    };
    expect(problems({ MQTT_PLAIN_PORT: '1884', MQTT_PORT: '1885' })).toEqual([
      'MQTT_PLAIN_PORT: says 1884 but MQTT_PORT says 1885: set only one of them',
    ]);
    expect(problems({ MQTT_TLS_CERT: '/etc/tryghed/mqtt.pem' })).toEqual([
      'MQTT_TLS_KEY: required when MQTT_TLS_CERT is set',
    ]);
    expect(problems({ MQTT_TLS_CLIENT_CERT: 'required' })).toEqual([
      'MQTT_TLS_CA: required when MQTT_TLS_CLIENT_CERT=required',
    ]);
    expect(
      problems({ MQTT_TLS_CLIENT_CERT: 'optional', MQTT_TLS_CA: 'ca.pem', MQTT_TLS_PORT: 'off' }),
    ).toEqual(['MQTT_TLS_CLIENT_CERT: client certificates need TLS on (MQTT_TLS_PORT)']);
    expect(problems({ MQTT_PLAIN_PORT: '0', MQTT_TLS_PORT: 'off', MQTT_WS_PATH: 'off' })[0]).toMatch(
      /^MQTT_PLAIN_PORT: .*all off/,
    );
    expect(problems({ MQTT_WS_PATH: '/live' })[0]).toMatch(/^MQTT_WS_PATH: the dashboard uses this path/);
    expect(problems({ MQTT_WS_PATH: 'mqtt' })[0]).toMatch(/^MQTT_WS_PATH: must be off or a path/);
    expect(problems({ MQTT_TLS_PORT: '' })[0]).toMatch(/^MQTT_TLS_PORT: must be off or a port/);
    expect(problems({ MQTT_TLS_CLIENT_CERT: 'yes' })[0]).toMatch(
      /^MQTT_TLS_CLIENT_CERT: must be off, optional or required/,
    );
  });
});
