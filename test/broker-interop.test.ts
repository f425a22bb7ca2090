import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '../services/domain/index.ts';
import { brokerFixture } from './harness/broker.ts';
import { eventually } from './harness/index.ts';

type Fixture = Awaited<ReturnType<typeof brokerFixture>>;

/** Runs a Debian mosquitto client and returns its exit code and output. */
function run(cmd: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('device broker with third-party clients (Debian mosquitto-clients)', () => {
  let f: Fixture;
  const common = () => ['-h', '127.0.0.1', '-p', String(f.broker.port), '-V', 'mqttv311'];

  beforeEach(async () => {
    f = await brokerFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  it('mosquitto_pub with the device secret is delivered', async () => {
    const payload = JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq: 1 });
    const { code, out } = await run('mosquitto_pub', [
      ...common(),
      '-i',
      's1',
      '-u',
      's1',
      '-P',
      f.secrets.s1!,
      '-q',
      '1',
      '-t',
      topics.readings('h1', 's1'),
      '-m',
      payload,
    ]);
    expect(code, out).toBe(0);
    await eventually(() => f.received.length === 1);
    expect(f.received[0]?.payload.toString()).toBe(payload);
  });

  it('mosquitto_pub -q 2 completes and is delivered once', async () => {
    const payload = JSON.stringify({ kind: 'motion', value: 1, ts: 1, seq: 7 });
    const { code, out } = await run('mosquitto_pub', [
      ...common(),
      '-i',
      's1',
      '-u',
      's1',
      '-P',
      f.secrets.s1!,
      '-q',
      '2',
      '-t',
      topics.readings('h1', 's1'),
      '-m',
      payload,
    ]);
    expect(code, out).toBe(0);
    await eventually(() => f.received.length === 1);
    expect(f.received[0]?.payload.toString()).toBe(payload);
    await new Promise((r) => setTimeout(r, 200));
    expect(f.received).toHaveLength(1);
  });

  it('mosquitto_pub with another client id than its device id is refused', async () => {
    const { code, out } = await run('mosquitto_pub', [
      ...common(),
      '-i',
      's2',
      '-u',
      's1',
      '-P',
      f.secrets.s1!,
      '-q',
      '1',
      '-t',
      topics.readings('h1', 's1'),
      '-m',
      '{}',
    ]);
    expect(code).not.toBe(0);
    expect(out).toMatch(/identifier rejected/i);
    expect(f.received).toEqual([]);
  });

  it('mosquitto_pub with a wrong secret is refused', async () => {
    const { code, out } = await run('mosquitto_pub', [
      ...common(),
      '-i',
      's1',
      '-u',
      's1',
      '-P',
      'wrong',
      '-q',
      '1',
      '-t',
      topics.readings('h1', 's1'),
      '-m',
      '{}',
    ]);
    expect(code).not.toBe(0);
    expect(out).toMatch(/not authori[sz]ed|bad user ?name or password|Connection Refused/i);
    expect(f.received).toEqual([]);
    expect(await f.refusals('bad_credentials')).toBe(1);
  });

  it("mosquitto_sub as a device gets its home's retained config, and is refused another home's", async () => {
    await f.broker.publish(topics.config('h1'), '{"consent":"h1"}', { retain: true });
    await f.broker.publish(topics.config('h2'), '{"consent":"h2"}', { retain: true });
    const own = await run('mosquitto_sub', [
      ...common(),
      '-i',
      's1',
      '-u',
      's1',
      '-P',
      f.secrets.s1!,
      '-t',
      topics.config('h1'),
      '-C',
      '1',
      '-W',
      '5',
    ]);
    expect(own.code, own.out).toBe(0);
    expect(own.out.trim()).toBe('{"consent":"h1"}');
    const other = await run('mosquitto_sub', [
      ...common(),
      '-i',
      's1',
      '-u',
      's1',
      '-P',
      f.secrets.s1!,
      '-t',
      topics.config('h2'),
      '-C',
      '1',
      '-W',
      '2',
    ]);
    expect(other.out).not.toContain('h2');
    expect(await f.refusals('subscribe_denied')).toBe(1);
  });
});
