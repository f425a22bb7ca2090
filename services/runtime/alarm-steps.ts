import { channel } from 'node:diagnostics_channel';

/**
 * Where an alert's time goes, for the bench (`npm run bench`, alarm rows): the alert service and the
 * live socket say when an alert was raised (a rule handed it over), written (its row committed) and
 * sent (on the staff sockets). Published on a `node:diagnostics_channel` only while something
 * subscribes, so it costs one property read otherwise; it carries the home's id and a time, nothing
 * more.
 */
export type AlarmStep = 'raised' | 'written' | 'sent';

export interface AlarmStepMessage {
  step: AlarmStep;
  homeId: string;
  /** `performance.now()` */
  at: number;
}

export const alarmStepChannel = channel('tryghed:alarm-step');

export function alarmStep(step: AlarmStep, homeId: string): void {
  if (alarmStepChannel.hasSubscribers)
    alarmStepChannel.publish({ step, homeId, at: performance.now() } satisfies AlarmStepMessage);
}
