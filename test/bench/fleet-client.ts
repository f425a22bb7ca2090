import { BenchChild } from './child.ts';

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

/** The parent's handle on the fleet child process (`fleet.ts`). */
export type Fleet = BenchChild<FleetCommand>;

export const startFleet = (): Promise<Fleet> =>
  BenchChild.start<FleetCommand>(new URL('./fleet.ts', import.meta.url), 'fleet');
