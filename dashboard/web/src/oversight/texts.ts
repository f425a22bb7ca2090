import { currentLang } from '../i18n.ts';

/** The oversight page's words, Danish first. */
const da = {
  nav: 'Overblik',
  title: 'Overblik',
  reviews: 'Afgørelser efter § 128 a, der skal revurderes',
  noReviews: 'Ingen afgørelser skal revurderes de næste 30 dage.',
  home: 'Hjem',
  what: 'Hvad',
  reviewDue: 'Revurderes senest',
  status: 'Status',
  overdue: 'Overskredet',
  due: 'Snart',
  stats: 'Udfald af alarmer de seneste 30 dage',
  statsNote: 'Tallene er pr. alarmtype og pr. team – aldrig pr. medarbejder. Testalarmer er ikke talt med.',
  byRule: 'Pr. alarmtype',
  byTeam: 'Pr. team',
  rule: 'Alarmtype',
  team: 'Team',
  alerts: 'Alarmer',
  falseRate: 'Falske alarmer',
  ackMedian: 'Kvitteret (median)',
  ackP90: 'Kvitteret (90 %)',
  resolveMedian: 'Afsluttet (median)',
  noStats: 'Ingen alarmer i perioden.',
  purpose_alerts: 'alarmer',
  purpose_history: 'historik',
};
type Key = keyof typeof da;
const en: Record<Key, string> = {
  nav: 'Overview',
  title: 'Overview',
  reviews: 'Decisions under § 128 a due for review',
  noReviews: 'No decisions are due for review in the next 30 days.',
  home: 'Home',
  what: 'What',
  reviewDue: 'Review by',
  status: 'Status',
  overdue: 'Overdue',
  due: 'Soon',
  stats: 'Alert outcomes over the last 30 days',
  statsNote: 'Figures are per alert kind and per team – never per employee. Test alerts are left out.',
  byRule: 'Per alert kind',
  byTeam: 'Per team',
  rule: 'Alert kind',
  team: 'Team',
  alerts: 'Alerts',
  falseRate: 'False alarms',
  ackMedian: 'Acknowledged (median)',
  ackP90: 'Acknowledged (90%)',
  resolveMedian: 'Resolved (median)',
  noStats: 'No alerts in the period.',
  purpose_alerts: 'alerts',
  purpose_history: 'history',
};

export function ot(key: Key | string): string {
  const dict = currentLang() === 'en' ? en : da;
  return (dict as Record<string, string>)[key] ?? key;
}
