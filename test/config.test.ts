import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS } from '../platform/config.ts';

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

  it('asks for the v2 credentials when INFLUX_API=v2', () => {
    expect(() => loadConfig({ INFLUX_API: 'v2' })).toThrow(
      /INFLUX_TOKEN[\s\S]*INFLUX_ORG[\s\S]*INFLUX_BUCKET/,
    );
  });

  it('the README documents every setting', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const missing = Object.values(SETTINGS)
      .map((s) => s.env)
      .filter((env) => !readme.includes(`\`${env}\``));
    expect(missing).toEqual([]);
  });
});
