import { BenchChild } from './child.ts';

/** which side of the bench a button or screen belongs to */
export type Side = 'platform' | 'peer';

/** how the rig opens one staff screen's socket */
export interface ScreenSpec {
  url: string;
  headers?: Record<string, string>;
}

export type RigCommand =
  | {
      id: number;
      cmd: 'buttons';
      side: Side;
      url: string;
      devices: Array<{ id: string; homeId: string; secret?: string }>;
    }
  | { id: number; cmd: 'screens'; side: Side; specs: ScreenSpec[] }
  | { id: number; cmd: 'closeScreens'; side: Side }
  /** waits up to `pauseMs` (random), presses, and answers when every screen heard the alert opened */
  | { id: number; cmd: 'press'; side: Side; homeId: string; deviceId: string; pauseMs: number }
  /** presses every one of the devices' buttons at once; answers when every screen heard each opened */
  | { id: number; cmd: 'storm'; side: Side; devices: Array<{ id: string; homeId: string }> }
  /** answers when every screen heard each opened alert of the home resolved */
  | { id: number; cmd: 'settled'; side: Side; homeId: string }
  | { id: number; cmd: 'exit' };

/** The parent's handle on the alarm rig child process (`alarm-rig.ts`). */
export type AlarmRig = BenchChild<RigCommand>;

export const startAlarmRig = (): Promise<AlarmRig> =>
  BenchChild.start<RigCommand>(new URL('./alarm-rig.ts', import.meta.url), 'alarm rig');
