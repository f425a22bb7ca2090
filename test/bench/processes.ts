/**
 * Servers of the cluster section as real child processes, each with its own CPU accounting (read
 * from /proc): `tryghed start` (the platform exactly as deployed) and bare aedes. kill -9 is a
 * real SIGKILL of the process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after "pid (comm) ": state is the 3rd field, utime the 14th, stime the 15th
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

export interface ServerProcess {
  readonly pid: number;
  cpuSeconds(): number;
  /** SIGKILL; resolves once the process is gone */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop); SIGKILL after 15 s */
  stop(): Promise<void>;
}

function spawnUntil(args: string[], env: Record<string, string>, ready: string, what: string) {
  return new Promise<ServerProcess>((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let up = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within 120 s:\n${out.slice(-2000)}`));
    }, 120_000);
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    const onData = (b: Buffer) => {
      // keep reading: a full pipe would block the child
      if (up) return;
      out += b.toString();
      if (out.includes(ready)) {
        up = true;
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          cpuSeconds: () => cpuSeconds(child.pid!),
          async kill() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await gone;
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.kill('SIGTERM');
            await gone;
            clearTimeout(force);
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!up) reject(new Error(`${what} exited (${code ?? signal}) before it was up:\n${out.slice(-2000)}`));
    });
  });
}

/** `tryghed start` with these settings (on top of this process's environment) */
export const startPlatformProcess = (env: Record<string, string>): Promise<ServerProcess> =>
  spawnUntil(['bin/tryghed.ts', 'start'], env, 'Tryghed is running', 'tryghed start');

/** bare aedes on 127.0.0.1:port, no auth and no storage (`bare-broker.ts`) */
export const startBareProcess = (port: number): Promise<ServerProcess> =>
  spawnUntil(['test/bench/bare-broker.ts', String(port)], {}, 'bare aedes listening', 'bare aedes');
