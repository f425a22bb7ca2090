import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FleetDevice {
  id: string;
  homeId: string;
  /** absent for the bare broker, which asks for none */
  secret?: string;
}

export interface LoadResult {
  sent: number;
  acked: number;
  failed: number;
  /** from the first publish to the last PUBACK */
  ms: number;
  startedAt: number;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export type FleetCommand =
  | { id: number; cmd: 'connect'; url: string; devices: FleetDevice[]; concurrency: number; auth: boolean }
  | { id: number; cmd: 'awaitReconnect'; timeoutMs: number }
  | { id: number; cmd: 'disconnect' }
  | {
      id: number;
      cmd: 'load';
      url: string;
      /** several brokers (a cluster): device i connects to urls[i % urls.length]; else `url` */
      urls?: string[];
      devices: FleetDevice[];
      auth: boolean;
      /** messages in all; 0 = until maxMs or stopLoad */
      total: number;
      /** messages per second in all; 0 = as fast as PUBACKs come */
      rate: number;
      inflight: number;
      kind: string;
      value: number;
      maxMs: number;
    }
  | { id: number; cmd: 'stopLoad' }
  | { id: number; cmd: 'exit' };

/** The parent's handle on the fleet child process. */
export class Fleet {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(`fleet: ${m.error}`));
      else w.resolve(m.result);
    });
  }

  static start(): Promise<Fleet> {
    const child = fork(fileURLToPath(new URL('./fleet.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const fleet = new Fleet(child);
    return new Promise((resolve, reject) => {
      fleet.waiting.set(0, { resolve: () => resolve(fleet), reject });
      child.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)));
    });
  }

  send<T>(command: WithoutId<FleetCommand>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...command, id });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.send({ cmd: 'exit' }).catch(() => undefined);
    await exited;
  }
}
