import type { RuleKind, Severity } from '../domain/index.ts';
import type { AlertNotice } from './types.ts';

const RULE: Record<RuleKind, { da: string; en: string }> = {
  alarm_button: { da: 'alarmknap trykket', en: 'alarm button pressed' },
  fall: { da: 'fald', en: 'fall' },
  smoke: { da: 'røg', en: 'smoke' },
  co: { da: 'kulilte (CO)', en: 'carbon monoxide (CO)' },
  water_leak: { da: 'vandudslip', en: 'water leak' },
  temperature_low: { da: 'for koldt', en: 'too cold' },
  temperature_high: { da: 'for varmt', en: 'too hot' },
  inactivity: { da: 'ingen bevægelse', en: 'no movement' },
  door_night: { da: 'dør åben om natten', en: 'door open at night' },
  out_of_bed: { da: 'ude af sengen om natten', en: 'out of bed at night' },
  night_round_missed: {
    da: 'ingen har kigget på hjemmet i nattens tilsynsrunde',
    en: 'nobody looked at the home on the night round',
  },
  device_offline: { da: 'enhed offline', en: 'device offline' },
  low_battery: { da: 'lavt batteri', en: 'low battery' },
};

const SEVERITY: Record<Severity, { da: string; en: string }> = {
  critical: { da: 'kritisk', en: 'critical' },
  high: { da: 'høj', en: 'high' },
  medium: { da: 'middel', en: 'medium' },
  low: { da: 'lav', en: 'low' },
};

/** The degraded-platform reasons people may read (the same codes as services/health). */
const DEGRADED: Record<string, { da: string; en: string }> = {
  readings_not_stored: { da: 'målinger gemmes ikke', en: 'readings are not being stored' },
  broker_down: { da: 'sensorforbindelsen (MQTT) er nede', en: 'the sensor connection (MQTT) is down' },
  rules_lagging: { da: 'regelmotoren er forsinket', en: 'the rules engine is lagging' },
  devices_silent: {
    da: 'mindst halvdelen af sensorerne er tavse',
    en: 'at least half of the sensors are silent',
  },
  broker_cluster_down: {
    da: 'forbindelsen mellem sensorbrokerne (Redis) er nede',
    en: 'the link between the sensor brokers (Redis) is down',
  },
  store_down: { da: 'databasen svarer ikke', en: 'the database does not answer' },
  alerts_not_stored: {
    da: 'alarmer er endnu ikke gemt (vises og gemmes, når databasen svarer igen)',
    en: 'alerts are not stored yet (shown, and stored when the database answers again)',
  },
};

function duration(ms: number): { da: string; en: string } {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return { da: `${s} s`, en: `${s} s` };
  const min = Math.round(s / 60);
  return { da: `${min} min`, en: `${min} min` };
}

/**
 * The text of a notice, Danish first and English second. Only the home id and the link identify
 * the citizen: the home's label is personal data and stays behind the dashboard's login.
 */
export function noticeText(n: AlertNotice): { da: string; en: string } {
  const rule = RULE[n.rule];
  const sev = SEVERITY[n.severity];
  const age = duration(n.at - n.openedAt);
  let why: { da: string; en: string };
  switch (n.reason.kind) {
    case 'unacknowledged':
      why = { da: `ikke kvitteret efter ${age.da}`, en: `not acknowledged after ${age.en}` };
      break;
    case 'unwatched':
      why = {
        da: 'ingen fra teamet er logget på alarmtavlen',
        en: 'nobody from the team is watching the alert board',
      };
      break;
    case 'degraded': {
      const reasons = n.reason.reasons.map((r) => DEGRADED[r] ?? { da: r, en: r });
      why = {
        da: `platformen er nedsat (${reasons.map((r) => r.da).join(', ')})`,
        en: `the platform is degraded (${reasons.map((r) => r.en).join(', ')})`,
      };
      break;
    }
    case 'technical':
      why = { da: 'teknisk alarm', en: 'technical alert' };
      break;
  }
  // level 1 goes to the team's own channel; the fallback (level 2) needs no label: it is the last resort
  const who =
    n.level === 1 ? { da: ' Eskaleret til hele teamet.', en: ' Escalated to the whole team.' } : null;
  const reminder =
    n.reminder > 0 ? { da: ` Påmindelse ${n.reminder}.`, en: ` Reminder ${n.reminder}.` } : null;
  return {
    da: `Alarm (${sev.da}): ${rule.da} i hjem ${n.homeId}, ${why.da}.${who?.da ?? ''}${reminder?.da ?? ''} Se ${n.link}`,
    en: `Alert (${sev.en}): ${rule.en} in home ${n.homeId}, ${why.en}.${who?.en ?? ''}${reminder?.en ?? ''} See ${n.link}`,
  };
}
