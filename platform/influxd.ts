import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface LocalInfluxd {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function influxdInstalled(binary = 'influxd'): boolean {
  return spawnSync(binary, ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts Debian's `influxd` 1.x as a child process with all its data under `dir`, on free
 * 127.0.0.1 ports, and waits until it answers `/ping`. Throws with influxd's own output if it
 * does not come up, so a missing or broken server fails loudly.
 */
export async function startInfluxd(options: {
  dir: string;
  binary?: string;
  httpPort?: number;
  timeoutMs?: number;
}): Promise<LocalInfluxd> {
  const binary = options.binary ?? 'influxd';
  if (!influxdInstalled(binary)) {
    throw new Error(
      `${binary} is not installed: run "npm run setup" (Debian package "influxdb"), or set INFLUX_URL to a running InfluxDB`,
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const httpPort = options.httpPort ?? (await freePort());
  const rpcPort = await freePort();
  const conf = join(options.dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(options.dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(options.dir, 'data')}"`,
      `  wal-dir = "${join(options.dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  log-enabled = false',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });

  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (exited !== null)
      throw new Error(`influxd exited with code ${exited} before it was ready:\n${output}`);
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`influxd did not answer on ${url} within the time limit:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    pid: child.pid ?? -1,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
