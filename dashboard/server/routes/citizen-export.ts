import { z } from 'zod';
import { HomeId } from '../../../services/domain/index.ts';
import { forbidden, TryghedError } from '../../../services/runtime/index.ts';
import type { ErasureRequest } from '../../../services/store/index.ts';
import type { ReadingPoint, ReadingStore } from '../../../services/timeseries/index.ts';
import { type AnyApiRoute, defineRoute, TextBody } from '../api/route.ts';
import { HomeExportView } from '../api/schemas.ts';
import type { DashboardContext } from '../context.ts';
import { type CsvValue, toCsv } from '../csv.ts';
import { cardCsvRows, cardExport } from '../responder-card.ts';
import {
  type AccessLogEntry,
  accessLog,
  type CitizenAlert,
  type ConsentHistoryEntry,
  consentHistory,
  homeAlerts,
  OWN_DATA_ROLES,
  purposeOf,
  recordHome,
} from '../transparency.ts';

const ExportParams = z.object({ homeId: HomeId });
const ExportQuery = z.strictObject({
  format: z
    .enum(['json', 'csv'])
    .default('json')
    .meta({ description: 'json (application/json) or csv (text/csv); default json' }),
});

const READINGS_PAGE = 10_000;
/** a home with a few sensors keeps far fewer in a year; past this the export says it was cut */
const READINGS_MAX = 2_000_000;

/** Every stored reading of the home, oldest first, read page by page. */
async function allReadings(
  readings: Pick<ReadingStore, 'query'>,
  homeId: string,
  to: number,
): Promise<{ points: ReadingPoint[]; truncated: boolean }> {
  const points: ReadingPoint[] = [];
  const key = (p: ReadingPoint) => `${p.deviceId}|${p.kind}|${p.ts}|${p.seq}`;
  let from = 0;
  let atBoundary = new Set<string>();
  for (;;) {
    const page = await readings.query({ homeId, from, to, limit: READINGS_PAGE });
    // the next page starts at the last timestamp again (several points may share it): skip those seen
    const fresh = page.filter((p) => !atBoundary.has(key(p)));
    points.push(...fresh);
    if (page.length < READINGS_PAGE) return { points, truncated: false };
    if (points.length >= READINGS_MAX) return { points, truncated: true };
    const last = page.at(-1)!.ts;
    // a whole page on one millisecond: move on rather than loop
    from = fresh.length === 0 ? last + 1 : last;
    atBoundary = new Set(page.filter((p) => p.ts === last).map(key));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const CSV_HEADER = [
  'section',
  'time',
  'actor_role',
  'actor_name',
  'action',
  'category',
  'purpose',
  'channel',
  'legal_basis',
  'on_behalf_of_citizen',
  'text_version',
  'reference',
  'device',
  'kind',
  'value',
  'state',
  'outcome',
  'note',
  'detail',
] as const;
type CsvRow = Partial<Record<(typeof CSV_HEADER)[number], CsvValue>>;

function csvRows(data: {
  consent: ConsentHistoryEntry[];
  alerts: CitizenAlert[];
  accessLog: AccessLogEntry[];
  erasures: ErasureRequest[];
  readings: ReadingPoint[];
}): CsvRow[] {
  const rows: CsvRow[] = [];
  for (const e of data.consent)
    rows.push({
      section: 'consent',
      time: iso(e.at),
      actor_role: e.actorRole,
      actor_name: e.actorName,
      action: e.action,
      category: e.category,
      purpose: e.purpose,
      channel: e.channel,
      legal_basis: e.basis,
      on_behalf_of_citizen: e.onBehalfOfCitizen ? 'yes' : 'no',
      text_version: e.textVersion,
      reference: e.reference,
      detail: e.reviewDue ? `review due ${e.reviewDue}` : null,
    });
  for (const a of data.alerts)
    rows.push({
      section: 'alert',
      time: iso(a.openedAt),
      actor_name: a.handledBy,
      action: a.rule,
      category: a.category,
      legal_basis: a.legalBasis,
      state: a.state,
      outcome: a.outcome,
      note: a.note,
      detail: `severity ${a.severity}; repeats ${a.repeats}; resolved ${isoOrNull(a.resolvedAt) ?? '-'}`,
    });
  for (const e of data.accessLog)
    rows.push({
      section: 'access',
      time: iso(e.at),
      actor_role: e.actorRole,
      actor_name: e.actorName,
      action: e.action,
      purpose: e.purpose,
      detail: e.detail,
    });
  for (const e of data.erasures)
    rows.push({
      section: 'erasure',
      time: iso(e.requestedAt),
      actor_role: e.requesterRole,
      action: `erase ${e.scope}`,
      on_behalf_of_citizen: e.onBehalfOf ? 'yes' : 'no',
      state: e.result,
      detail: e.detail,
    });
  for (const p of data.readings)
    rows.push({
      section: 'reading',
      time: iso(p.ts),
      category: p.category,
      device: p.deviceId,
      kind: p.kind,
      value: p.value,
      detail: p.test ? `seq ${p.seq}; a technician's test reading` : `seq ${p.seq}`,
    });
  return rows;
}

const CSV_DESCRIPTION =
  'RFC 4180: UTF-8 with a byte-order mark, CRLF line ends. One table; the `section` column says what a ' +
  'row is (responder_card, consent, alert, access, erasure, reading) and the other columns are filled as they apply: ' +
  `${CSV_HEADER.join(', ')}. Times are ISO 8601 UTC. A cell a spreadsheet would run as a formula ` +
  '(starting with =, +, -, @, tab or CR) is kept as text with a leading apostrophe.';

/**
 * GET /api/homes/:homeId/export?format=json|csv: everything the platform holds about the home, for
 * the citizen to keep (GDPR art. 15 and 20). For the citizen, their relatives and administrators
 * (a request on paper); staff help in person, not by downloading a citizen's file.
 */
export function exportRoutes(ctx: DashboardContext): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/homes/:homeId/export',
      summary: 'Everything held about the home, as JSON or CSV, to keep (GDPR art. 15 and 20)',
      description:
        "The responder's card (the key-box code included), consent and its history, care alerts with outcome and note, who looked, erasure requests and " +
        'every stored reading. For the citizen, their relatives and administrators; the download is ' +
        'itself recorded in the access log first.',
      tag: 'citizen',
      access: OWN_DATA_ROLES,
      params: ExportParams,
      query: ExportQuery,
      response: {
        status: 200,
        description: 'the export, as an attachment: JSON, or CSV with `format=csv`',
        schema: HomeExportView,
        text: { 'text/csv': z.string().meta({ description: CSV_DESCRIPTION }) },
        headers: {
          'Content-Disposition': 'attachment; filename="tryghed-<home id>-<YYYY-MM-DD>.<json|csv>"',
        },
      },
      errors: ['not_found', 'unavailable'],
      handle: async ({ params, query, actor, res }) => {
        const { format } = query;
        const home = recordHome(ctx, actor.user, params.homeId);
        if (actor.user.role === 'staff') throw forbidden('the export is for the citizen and their relatives');
        if (!ctx.readings) throw new TryghedError('unavailable', 'no time-series store is connected');
        const now = ctx.clock.now();
        // Recorded first, so the export's own access log shows this export.
        await ctx.store.audit.append({
          at: now,
          actorId: actor.user.id,
          actorRole: actor.user.role,
          action: 'export.download',
          homeId: home.id,
          purpose: purposeOf(actor.user.role),
          detail: format,
        });
        const [card, consent, alerts, log, erasures, readings] = await Promise.all([
          ctx.store.responderCards.get(home.id),
          consentHistory(ctx, home.id),
          homeAlerts(ctx, actor.user, home.id),
          accessLog(ctx, home.id, 100_000),
          ctx.store.erasures.listByHome(home.id),
          allReadings(ctx.readings, home.id, now),
        ]);
        const stamp = iso(now).slice(0, 10);
        res.set('cache-control', 'no-store');
        // home ids are [A-Za-z0-9_-] (HomeId), so the name needs no further escaping
        res.set('content-disposition', `attachment; filename="tryghed-${home.id}-${stamp}.${format}"`);
        if (format === 'csv') {
          const rows = [
            ...(card ? cardCsvRows(card) : []),
            ...csvRows({ consent, alerts, accessLog: log, erasures, readings: readings.points }),
          ];
          return new TextBody(
            'text/csv',
            toCsv(
              CSV_HEADER,
              rows.map((r) => CSV_HEADER.map((c) => r[c])),
            ),
          );
        }
        return {
          exportedAt: iso(now),
          home: { id: home.id, timezone: home.timezone },
          responderCard: card ? cardExport(card) : null,
          consent: { scope: ctx.consent.scope(home.id), history: consent },
          alerts,
          accessLog: log,
          erasureRequests: erasures,
          readings: readings.points.map((p) => ({
            time: iso(p.ts),
            deviceId: p.deviceId,
            kind: p.kind,
            category: p.category,
            value: p.value,
            seq: p.seq,
            test: p.test === true,
          })),
          readingsTruncated: readings.truncated,
        };
      },
    }),
  ];
}
