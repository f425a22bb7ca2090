/** Danish first; English for staff who read it more easily. The choice is kept on this device. */
export type Lang = 'da' | 'en';

const da = {
  login: 'Log ind',
  username: 'Brugernavn',
  password: 'Adgangskode',
  logout: 'Log ud',
  wrongLogin: 'Forkert brugernavn eller adgangskode.',
  tooMany: 'For mange forsøg. Vent et par minutter.',
  alerts: 'Alarmer',
  noAlerts: 'Ingen åbne alarmer. Alt er roligt.',
  connection_connecting: 'Forbinder …',
  connection_connected: 'Forbundet',
  connection_reconnecting: 'Afbrudt – forbinder igen …',
  acknowledge: 'Kvittér',
  resolve: 'Afslut',
  cancel: 'Fortryd',
  outcome: 'Udfald',
  note: 'Faglig note (valgfri)',
  save: 'Gem og afslut',
  state_open: 'Åben',
  state_acknowledged: 'Kvitteret',
  state_resolved: 'Afsluttet',
  severity_critical: 'Kritisk',
  severity_high: 'Høj',
  severity_medium: 'Middel',
  severity_low: 'Lav',
  rule_alarm_button: 'Alarmknap trykket',
  rule_fall: 'Fald registreret',
  rule_smoke: 'Røg registreret',
  rule_inactivity: 'Ingen bevægelse i hjemmet',
  outcome_real_incident: 'Reel hændelse',
  outcome_false_alarm: 'Falsk alarm',
  outcome_no_action_needed: 'Ingen handling nødvendig',
  outcome_technical_fault: 'Teknisk fejl',
  opened: 'Åbnet',
  repeats: 'Gentaget',
  time: 'gang',
  times: 'gange',
  ackBy: 'Kvitteret',
  soundOn: 'Lyd: til',
  soundOff: 'Lyd: fra',
  sensor: 'Sensor',
  noMotionSince: 'Ingen bevægelse siden',
  limit: 'grænse',
  window: 'dagvindue',
  newAlert: 'Ny alarm',
  reopened: 'Åben igen – ingen er kommet endnu',
  notStaff: 'Din rolle har ingen alarmtavle endnu.',
  failed: 'Handlingen mislykkedes',
  escalated_1: 'Eskaleret til hele teamet – ikke kvitteret',
  escalated_2: 'Sendt til nødkanalen (SMS/telefon) – ikke kvitteret',
  degraded: 'Platformen kører nedsat',
  degraded_readings_not_stored: 'målinger gemmes ikke',
  degraded_broker_down: 'sensorforbindelsen (MQTT) er nede',
  degraded_rules_lagging: 'regelmotoren er forsinket',
  degradedFallback: 'Kritiske alarmer sendes også straks til nødkanalen.',
  ackDone: 'Kvitteret',
  resolveDone: 'Afsluttet',
  skip: 'Gå til indhold',
  otherLang: 'English',
};
type Key = keyof typeof da;

const en: Record<Key, string> = {
  login: 'Log in',
  username: 'Username',
  password: 'Password',
  logout: 'Log out',
  wrongLogin: 'Wrong username or password.',
  tooMany: 'Too many attempts. Wait a few minutes.',
  alerts: 'Alerts',
  noAlerts: 'No open alerts. All is calm.',
  connection_connecting: 'Connecting …',
  connection_connected: 'Connected',
  connection_reconnecting: 'Disconnected – reconnecting …',
  acknowledge: 'Acknowledge',
  resolve: 'Resolve',
  cancel: 'Cancel',
  outcome: 'Outcome',
  note: 'Professional note (optional)',
  save: 'Save and resolve',
  state_open: 'Open',
  state_acknowledged: 'Acknowledged',
  state_resolved: 'Resolved',
  severity_critical: 'Critical',
  severity_high: 'High',
  severity_medium: 'Medium',
  severity_low: 'Low',
  rule_alarm_button: 'Alarm button pressed',
  rule_fall: 'Fall detected',
  rule_smoke: 'Smoke detected',
  rule_inactivity: 'No movement in the home',
  outcome_real_incident: 'Real incident',
  outcome_false_alarm: 'False alarm',
  outcome_no_action_needed: 'No action needed',
  outcome_technical_fault: 'Technical fault',
  opened: 'Opened',
  repeats: 'Repeated',
  time: 'time',
  times: 'times',
  ackBy: 'Acknowledged',
  soundOn: 'Sound: on',
  soundOff: 'Sound: off',
  sensor: 'Sensor',
  noMotionSince: 'No movement since',
  limit: 'limit',
  window: 'daytime window',
  newAlert: 'New alert',
  reopened: 'Open again – nobody has come yet',
  notStaff: 'Your role has no alert board yet.',
  failed: 'The action failed',
  escalated_1: 'Escalated to the whole team – not acknowledged',
  escalated_2: 'Sent to the fallback channel (SMS/phone) – not acknowledged',
  degraded: 'The platform is degraded',
  degraded_readings_not_stored: 'readings are not being stored',
  degraded_broker_down: 'the sensor connection (MQTT) is down',
  degraded_rules_lagging: 'the rules engine is lagging',
  degradedFallback: 'Critical alerts also go to the fallback channel at once.',
  ackDone: 'Acknowledged',
  resolveDone: 'Resolved',
  skip: 'Skip to content',
  otherLang: 'Dansk',
};

const dictionaries: Record<Lang, Record<Key, string>> = { da, en };
let lang: Lang = localStorage.getItem('tryghed.lang') === 'en' ? 'en' : 'da';

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('tryghed.lang', next);
  document.documentElement.lang = next;
}

export function t(key: Key | string): string {
  return dictionaries[lang][key as Key] ?? key;
}

export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(lang === 'da' ? 'da-DK' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'medium',
    timeZone: 'Europe/Copenhagen',
  }).format(ms);
}
