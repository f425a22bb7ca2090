import { currentLang } from './i18n.ts';

/** Words of the board as a worked list (counts, filters, team, resolved alerts, history): Danish first. */
const da = {
  summaryOpen: '{n} åbne',
  summaryNone: 'Ingen åbne alarmer',
  summaryWaiting: '{n} ikke kvitteret',
  summaryShown: 'viser {shown} af {total}',
  count_critical: '{n} kritiske',
  count_high: '{n} høje',
  count_medium: '{n} middel',
  count_low: '{n} lave',
  filtersLabel: 'Filtrér alarmer',
  filterHome: 'Hjem',
  filterKind: 'Slags alarm',
  filterAll: 'Alle',
  filteredEmpty: 'Ingen åbne alarmer matcher filteret.',
  team: 'Team',
  onIt: '{name} er på vej (kvitteret {when})',
  onItUnknown: 'Kvitteret {when}',
  chooseOutcome: 'Vælg udfald …',
  outcomeMissing: 'Vælg et udfald, før alarmen afsluttes.',
  noteLeft: '{n} tegn tilbage (højst {max})',
  noteOver: '{n} tegn for mange (højst {max}) – forkort noten, før du gemmer',
  noteTooLong: 'Noten er for lang: højst {max} tegn.',
  resolvedTitle: 'Afsluttet for nylig',
  resolvedShow: 'Vis afsluttede alarmer',
  resolvedPeriod: 'Periode',
  period_24h: 'Seneste 24 timer',
  period_7d: 'Seneste 7 dage',
  resolvedNone: 'Ingen alarmer afsluttet i perioden.',
  resolvedMore: 'Vis flere',
  resolvedAt: 'Afsluttet',
  acknowledgedAt: 'Kvitteret',
  raisedAt: 'Udløst',
  outcomeLabel: 'Udfald',
  noteLabel: 'Note',
  noNote: 'Ingen note',
  handledBy: 'Håndteret af',
  historyTitle: 'Alarmhistorik',
  historyNone: 'Hjemmet har ingen alarmer endnu.',
  historyMore: 'Vis ældre',
  loadFailed: 'Kunne ikke hentes. Prøv igen om lidt.',
};

const en: typeof da = {
  summaryOpen: '{n} open',
  summaryNone: 'No open alerts',
  summaryWaiting: '{n} not acknowledged',
  summaryShown: 'showing {shown} of {total}',
  count_critical: '{n} critical',
  count_high: '{n} high',
  count_medium: '{n} medium',
  count_low: '{n} low',
  filtersLabel: 'Filter alerts',
  filterHome: 'Home',
  filterKind: 'Kind of alert',
  filterAll: 'All',
  filteredEmpty: 'No open alerts match the filter.',
  team: 'Team',
  onIt: '{name} is on it (acknowledged {when})',
  onItUnknown: 'Acknowledged {when}',
  chooseOutcome: 'Choose an outcome …',
  outcomeMissing: 'Choose an outcome before resolving the alert.',
  noteLeft: '{n} characters left (at most {max})',
  noteOver: '{n} characters too many (at most {max}) – shorten the note before saving',
  noteTooLong: 'The note is too long: at most {max} characters.',
  resolvedTitle: 'Recently resolved',
  resolvedShow: 'Show resolved alerts',
  resolvedPeriod: 'Period',
  period_24h: 'Last 24 hours',
  period_7d: 'Last 7 days',
  resolvedNone: 'No alerts resolved in this period.',
  resolvedMore: 'Show more',
  resolvedAt: 'Resolved',
  acknowledgedAt: 'Acknowledged',
  raisedAt: 'Raised',
  outcomeLabel: 'Outcome',
  noteLabel: 'Note',
  noNote: 'No note',
  handledBy: 'Handled by',
  historyTitle: 'Alert history',
  historyNone: 'The home has no alerts yet.',
  historyMore: 'Show older',
  loadFailed: 'Could not be loaded. Try again in a moment.',
};

export type BoardKey = keyof typeof da;

/** A board word with `{name}` placeholders filled in. */
export function tb(key: BoardKey, vars: Record<string, string | number> = {}): string {
  const text = (currentLang() === 'en' ? en : da)[key];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

/** The server's limit for a note (services/domain ResolveRequest): shown before it is reached. */
export const NOTE_MAX = 2000;
