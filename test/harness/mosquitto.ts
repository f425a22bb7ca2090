import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../../platform/index.ts';
import { eventually } from './index.ts';

/**
 * Debian's mosquitto as a home's local broker (the one zigbee2mqtt publishes to), on a free port,
 * anonymous on 127.0.0.1 as zigbee2mqtt's own Docker examples run it.
 */
export async function startMosquitto(
  dir: string,
): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 10000\n`,
  );
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const url = `mqtt://127.0.0.1:${port}`;
  await eventually(
    async () => {
      const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 500 });
      await c.endAsync(true);
      return true;
    },
    { timeoutMs: 5000, what: `mosquitto on ${port} (${stderr.trim()})` },
  );
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `mosquitto_pub`, the Mosquitto project's own client: one message, QoS 1 unless told otherwise. */
export function mosquittoPub(
  port: number,
  topic: string,
  message: string,
  options: { retain?: boolean; qos?: 0 | 1 } = {},
): Promise<void> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    topic,
    '-q',
    String(options.qos ?? 1),
    '-m',
    message,
  ];
  if (options.retain) args.push('-r');
  return new Promise((resolve, reject) => {
    const child = spawn('mosquitto_pub', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/**
 * `mosquitto_pub -l`: one message per line written to it, over one connection, as a device that
 * keeps reporting. The lines are written `gapMs` apart; resolves when the last one is sent.
 */
export async function mosquittoPubLines(
  port: number,
  topic: string,
  lines: string[],
  gapMs: number,
  onLine?: (index: number) => void,
): Promise<void> {
  const child = spawn(
    'mosquitto_pub',
    ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-l'],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub -l exited ${code}: ${stderr.trim()}`)),
    );
  });
  for (const [i, line] of lines.entries()) {
    child.stdin.write(`${line}\n`);
    onLine?.(i);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  child.stdin.end();
  await exited;
}
