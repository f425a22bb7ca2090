import type { ComponentChildren } from 'preact';
import { formatTime } from '../i18n.ts';
import { textVersionText } from '../text-version.ts';
import type { AccessEntry, CitizenAlert, ConsentHistoryEntry, ErasureRequest } from './api.ts';
import { Section } from './parts.tsx';
import { ct, didWhat } from './strings.ts';
import { alertStateText, who } from './words.ts';

/** Lists, not tables: they reflow to one column at 320 px without sideways scrolling. */
function Records({ id, empty, children }: { id: string; empty: string; children: ComponentChildren[] }) {
  if (children.length === 0)
    return (
      <p class="muted" id={id}>
        {empty}
      </p>
    );
  return (
    <ul class="records" id={id}>
      {children}
    </ul>
  );
}

/** The home's alerts, each keyed by its id. */
export function AlertsSection({ alerts }: { alerts: CitizenAlert[] }) {
  return (
    <Section id="alerts" title={ct('alerts')}>
      <Records id="alert-list" empty={ct('noAlertsYet')}>
        {alerts.map((a) => (
          <li key={a.id} class={`record alert-record ${a.state}`}>
            <h3>{ct.of('rule_', a.rule)}</h3>
            <p class="meta">{`${formatTime(a.openedAt)} · ${alertStateText(a)}`}</p>
            {a.outcome ? (
              <p>
                <strong>{ct.of('outcome_', a.outcome)}</strong>
              </p>
            ) : null}
            {a.handledBy ? <p>{`${ct('handledBy')}: ${a.handledBy}`}</p> : null}
            {a.note ? <p class="note">{`${ct('noteFromStaff')}: ${a.note}`}</p> : null}
          </li>
        ))}
      </Records>
    </Section>
  );
}

/** Every consent given and withdrawn, newest first, keyed by the event's id. */
export function HistorySection({
  entries,
  viewerRole,
  categoryTitles,
}: {
  entries: ConsentHistoryEntry[];
  viewerRole: string;
  categoryTitles: Record<string, string>;
}) {
  return (
    <Section id="consent-history" title={ct('history')}>
      <Records id="history-list" empty={ct('noHistory')}>
        {[...entries].reverse().map((e) => {
          const what = `${ct.of('purpose_', e.purpose)} (${(categoryTitles[e.category] ?? e.category).toLowerCase()})`;
          const behalf = e.onBehalfOfCitizen
            ? ` ${viewerRole === 'citizen' ? ct('onYourBehalf') : ct('onCitizenBehalf')}`
            : '';
          return (
            <li key={e.id} class="record">
              <p>
                <strong>{who(e.actorRole, e.actorName, viewerRole)}</strong>
                {` ${ct.of('action_', e.action)} ${what}${behalf}.`}
              </p>
              <p class="meta">
                {[
                  formatTime(e.at),
                  ct.of('channel_', e.channel),
                  e.basis ? `${ct('givenBy')}: ${ct.of('basis_', e.basis)}` : null,
                  e.reference ? `${ct('reference')}: ${e.reference}` : null,
                  `${ct('textVersion')}: ${textVersionText(e.textVersion)}`,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
            </li>
          );
        })}
      </Records>
    </Section>
  );
}

/** Who looked at the home's data, and why; keyed by the log entry's id. */
export function AccessSection({ entries, viewerRole }: { entries: AccessEntry[]; viewerRole: string }) {
  return (
    <Section id="access" title={ct('accessTitle')}>
      <p>{ct('accessIntro')}</p>
      <Records id="access-list" empty={ct('noAccess')}>
        {entries.map((e) => (
          <li key={e.id} class="record">
            <p>
              <strong>{who(e.actorRole, e.actorName, viewerRole)}</strong>
              {` ${didWhat(e.action, e.detail)}.`}
            </p>
            <p class="meta">{`${formatTime(e.at)} · ${ct('purpose')}: ${ct.of('why_', e.purpose)}`}</p>
          </li>
        ))}
      </Records>
    </Section>
  );
}

/** Erasures asked for, newest first, keyed by the request's id. */
export function ErasureList({ requests, viewerRole }: { requests: ErasureRequest[]; viewerRole: string }) {
  return (
    <Records id="erasure-list" empty={ct('noErasures')}>
      {[...requests].reverse().map((r) => (
        <li key={r.id} class="record">
          <p>
            <strong>{r.result === 'erased' ? ct('erased') : ct('eraseFailed')}</strong>
          </p>
          <p class="meta">
            {`${formatTime(r.requestedAt)} · ${ct('requestedBy')}: ${who(r.requesterRole, null, viewerRole)}`}
          </p>
        </li>
      ))}
    </Records>
  );
}
