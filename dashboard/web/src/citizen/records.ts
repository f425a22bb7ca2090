import { formatTime } from '../i18n.ts';
import { textVersionText } from '../text-version.ts';
import type { AccessEntry, CitizenAlert, ConsentHistoryEntry, ErasureRequest } from './api.ts';
import { el, section } from './dom.ts';
import { ct, didWhat } from './strings.ts';

/** Lists, not tables: they reflow to one column at 320 px without sideways scrolling. */
function list(id: string, empty: string, items: HTMLElement[]): HTMLElement {
  if (items.length === 0) return el('p', { className: 'muted', id }, empty);
  return el('ul', { className: 'records', id }, ...items);
}

/** "Dig", a relative's name, or a role; names only where the server sent them. */
export function who(role: string, name: string | null, viewerRole: string): string {
  if (role === 'citizen') return viewerRole === 'citizen' ? ct('you') : ct('the_citizen');
  const label = ct.of('role_', role);
  return name ? `${label}: ${name}` : label;
}

/**
 * Where the alert is, said no stronger than what happened: "på vej" only once someone set out,
 * "fremme" once someone arrived; an acknowledgement alone is "seen".
 */
export function alertStateText(a: Pick<CitizenAlert, 'state' | 'enRouteAt' | 'arrivedAt'>): string {
  if (a.state !== 'resolved' && a.arrivedAt !== null) return ct('chain_arrived');
  if (a.state !== 'resolved' && a.enRouteAt !== null) return ct('chain_en_route');
  return ct.of('state_', a.state);
}

export function alertsSection(alerts: CitizenAlert[]): HTMLElement {
  const items = alerts.map((a) =>
    el(
      'li',
      { className: `record alert-record ${a.state}` },
      el('h3', {}, ct.of('rule_', a.rule)),
      el('p', { className: 'meta' }, `${formatTime(a.openedAt)} · ${alertStateText(a)}`),
      a.outcome ? el('p', {}, el('strong', {}, ct.of('outcome_', a.outcome))) : null,
      a.handledBy ? el('p', {}, `${ct('handledBy')}: ${a.handledBy}`) : null,
      a.note ? el('p', { className: 'note' }, `${ct('noteFromStaff')}: ${a.note}`) : null,
    ),
  );
  return section('alerts', ct('alerts'), list('alert-list', ct('noAlertsYet'), items));
}

export function historySection(
  entries: ConsentHistoryEntry[],
  viewerRole: string,
  categoryTitles: Record<string, string>,
): HTMLElement {
  const items = [...entries].reverse().map((e) => {
    const what = `${ct.of('purpose_', e.purpose)} (${(categoryTitles[e.category] ?? e.category).toLowerCase()})`;
    const behalf = e.onBehalfOfCitizen
      ? ` ${viewerRole === 'citizen' ? ct('onYourBehalf') : ct('onCitizenBehalf')}`
      : '';
    return el(
      'li',
      { className: 'record' },
      el(
        'p',
        {},
        el('strong', {}, who(e.actorRole, e.actorName, viewerRole)),
        ` ${ct.of('action_', e.action)} ${what}${behalf}.`,
      ),
      el(
        'p',
        { className: 'meta' },
        [
          formatTime(e.at),
          ct.of('channel_', e.channel),
          e.basis ? `${ct('givenBy')}: ${ct.of('basis_', e.basis)}` : null,
          e.reference ? `${ct('reference')}: ${e.reference}` : null,
          `${ct('textVersion')}: ${textVersionText(e.textVersion)}`,
        ]
          .filter(Boolean)
          .join(' · '),
      ),
    );
  });
  return section('consent-history', ct('history'), list('history-list', ct('noHistory'), items));
}

export function accessSection(entries: AccessEntry[], viewerRole: string): HTMLElement {
  const items = entries.map((e) =>
    el(
      'li',
      { className: 'record' },
      el(
        'p',
        {},
        el('strong', {}, who(e.actorRole, e.actorName, viewerRole)),
        ` ${didWhat(e.action, e.detail)}.`,
      ),
      el('p', { className: 'meta' }, `${formatTime(e.at)} · ${ct('purpose')}: ${ct.of('why_', e.purpose)}`),
    ),
  );
  return section(
    'access',
    ct('accessTitle'),
    el('p', {}, ct('accessIntro')),
    list('access-list', ct('noAccess'), items),
  );
}

export function erasureList(requests: ErasureRequest[], viewerRole: string): HTMLElement {
  const items = [...requests]
    .reverse()
    .map((r) =>
      el(
        'li',
        { className: 'record' },
        el('p', {}, el('strong', {}, r.result === 'erased' ? ct('erased') : ct('eraseFailed'))),
        el(
          'p',
          { className: 'meta' },
          `${formatTime(r.requestedAt)} · ${ct('requestedBy')}: ${who(r.requesterRole, null, viewerRole)}`,
        ),
      ),
    );
  return list('erasure-list', ct('noErasures'), items);
}
