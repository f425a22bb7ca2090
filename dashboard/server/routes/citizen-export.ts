import { z } from 'zod';
import { cardPartsOf, type ErasureRequest, HomeId } from '../../../services/domain/index.ts';
import {
  CATEGORY_TEXTS,
  SENSOR_NAMES,
  textVersionLabel,
} from '../../../services/domain/shared/information-texts.ts';
import { forbidden, TryghedError } from '../../../services/runtime/index.ts';
import type { ReadingPoint, ReadingStore } from '../../../services/timeseries/index.ts';
import { catalog } from '../../web/src/messages/catalog.ts';
import { type AnyApiRoute, defineRoute, TextBody } from '../api/route.ts';
import { HomeExportView } from '../api/schemas.ts';
import type { DashboardContext } from '../context.ts';
import { type CsvValue, csvTime, toCsv } from '../csv.ts';
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
  lang: z
    .enum(['da', 'en'])
    .default('da')
    .meta({ description: "the CSV's column names and fixed values: da (default) or en" }),
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
type CsvColumn = (typeof CSV_HEADER)[number];
type CsvRow = Partial<Record<CsvColumn, CsvValue>>;

/** The Danish column names; English (`lang=en`) uses the keys. `tid` is local to the home. */
const CSV_HEADER_DA: Record<CsvColumn, string> = {
  section: 'afsnit',
  time: 'tid',
  actor_role: 'rolle',
  actor_name: 'navn',
  action: 'handling',
  category: 'kategori',
  purpose: 'formål',
  channel: 'kanal',
  legal_basis: 'retsgrundlag',
  on_behalf_of_citizen: 'på_borgerens_vegne',
  text_version: 'tekstversion',
  reference: 'reference',
  device: 'enhed',
  kind: 'type',
  value: 'værdi',
  state: 'status',
  outcome: 'udfald',
  note: 'note',
  detail: 'detaljer',
};

/** One section of the catalog's Danish words, with the prefix taken off its keys (`role_staff` → `staff`). */
function danish(section: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(section)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}
const WORDS = catalog.da.export as Record<string, string>;
const fill = (text: string, vars: Record<string, string | number>) =>
  text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));

/** The `action` column's values in Danish, by the row's section. */
const ACTIONS_DA: Record<string, Record<string, string>> = {
  consent: danish(WORDS, 'action_'),
  alert: danish(catalog.da.common as Record<string, string>, 'rule_'),
  // the access log's actions as the citizen page says them (`alert.read` → did_alert_read)
  access: danish(catalog.da.citizen as Record<string, string>, 'did_'),
  erasure: { 'erase readings': WORDS.action_erase_readings! },
  responder_card: danish(WORDS, 'card_'),
};

/** Fixed values a Danish reader should not have to decode (the catalog's words); anything not listed stays as stored. */
const VALUES_DA: Partial<Record<CsvColumn, Record<string, string>>> = {
  actor_role: danish(WORDS, 'role_'),
  channel: danish(WORDS, 'channel_'),
  legal_basis: danish(WORDS, 'basis_'),
  purpose: danish(WORDS, 'purpose_'),
  state: danish(WORDS, 'state_'),
  section: {
    responder_card: 'beredskabskort',
    consent: 'samtykke',
    alert: 'alarm',
    access: 'adgang',
    erasure: 'sletning',
    reading: 'måling',
  },
  on_behalf_of_citizen: { yes: WORDS.yes!, no: WORDS.no! },
  category: Object.fromEntries(Object.entries(CATEGORY_TEXTS).map(([k, t]) => [k, t.title.da])),
  kind: Object.fromEntries(Object.entries(SENSOR_NAMES).map(([k, t]) => [k, t.da])),
  outcome: {
    real_incident: 'reel hændelse',
    false_alarm: 'falsk alarm',
    no_action_needed: 'ingen handling nødvendig',
    technical_fault: 'teknisk fejl',
  },
};

/** The CSV table in the asked language, times as local `YYYY-MM-DD HH:MM:SS` in the home's zone. */
function csvTable(rows: CsvRow[], lang: 'da' | 'en', timeZone: string): string {
  const timeName = `${lang === 'da' ? CSV_HEADER_DA.time : 'time'} (${timeZone})`;
  const header = CSV_HEADER.map((c) => (c === 'time' ? timeName : lang === 'da' ? CSV_HEADER_DA[c] : c));
  const cell = (r: CsvRow, c: CsvColumn): CsvValue => {
    const v = r[c];
    if (c === 'time' && typeof v === 'number') return csvTime(v, timeZone);
    if (lang === 'da' && c === 'action' && typeof v === 'string')
      return ACTIONS_DA[String(r.section)]?.[r.section === 'access' ? v.replaceAll('.', '_') : v] ?? v;
    if (lang === 'da' && typeof v === 'string') return VALUES_DA[c]?.[v] ?? v;
    return v;
  };
  return toCsv(
    header,
    rows.map((r) => CSV_HEADER.map((c) => cell(r, c))),
  );
}

/**
 * The parts of the card an entry names, in Danish words from the catalog (codes in English); old
 * entries recorded in English words read the same. Anything else stays as stored.
 */
function cardPartsWords(detail: string | null, lang: 'da' | 'en'): string | null {
  const parts = cardPartsOf(detail);
  if (!parts) return detail;
  if (parts.length === 0) return lang === 'da' ? WORDS.card_nothing! : 'nothing';
  return parts.map((p) => (lang === 'da' ? (WORDS[`card_${p}`] ?? p) : p)).join(', ');
}

/** a text version as the citizen was shown it: title and day ("Nødsituationer – Alarm til hjemmeplejen, 23.11.2026") */
function danishTextVersion(version: string | null): string | null {
  if (!version) return version;
  const label = textVersionLabel(version);
  if (!label) return version;
  const [y, m, d] = label.issued.split('-');
  return `${label.title.da}, ${Number(d)}.${Number(m)}.${y}`;
}

function csvRows(
  lang: 'da' | 'en',
  timeZone: string,
  data: {
    consent: ConsentHistoryEntry[];
    alerts: CitizenAlert[];
    accessLog: AccessLogEntry[];
    erasures: ErasureRequest[];
    readings: ReadingPoint[];
  },
): CsvRow[] {
  const rows: CsvRow[] = [];
  for (const e of data.consent)
    rows.push({
      section: 'consent',
      time: e.at,
      actor_role: e.actorRole,
      actor_name: e.actorName,
      action: e.action,
      category: e.category,
      purpose: e.purpose,
      channel: e.channel,
      legal_basis: e.basis,
      on_behalf_of_citizen: e.onBehalfOfCitizen ? 'yes' : 'no',
      text_version: lang === 'da' ? danishTextVersion(e.textVersion) : e.textVersion,
      reference: e.reference,
      detail: e.reviewDue
        ? lang === 'da'
          ? fill(WORDS.reviewDue!, { date: e.reviewDue })
          : `review due ${e.reviewDue}`
        : null,
    });
  for (const a of data.alerts)
    rows.push({
      section: 'alert',
      time: a.openedAt,
      actor_name: a.handledBy,
      action: a.rule,
      category: a.category,
      legal_basis: a.legalBasis,
      state: a.state,
      outcome: a.outcome,
      note: a.note,
      detail: [
        a.test ? (lang === 'da' ? WORDS.testAlert : 'Test: a test alert') : null,
        lang === 'da'
          ? fill(WORDS.alertDetail!, {
              severity: WORDS[`severity_${a.severity}`] ?? a.severity,
              repeats: a.repeats,
              resolved: a.resolvedAt === null ? '-' : csvTime(a.resolvedAt, timeZone),
            })
          : `severity ${a.severity}; repeats ${a.repeats}; resolved ${a.resolvedAt === null ? '-' : csvTime(a.resolvedAt, timeZone)}`,
      ]
        .filter(Boolean)
        .join('; '),
    });
  for (const e of data.accessLog)
    rows.push({
      section: 'access',
      time: e.at,
      actor_role: e.actorRole,
      actor_name: e.actorName,
      action: e.action,
      purpose: e.purpose,
      detail: e.action.startsWith('responder_card.') ? cardPartsWords(e.detail, lang) : e.detail,
    });
  for (const e of data.erasures)
    rows.push({
      section: 'erasure',
      time: e.requestedAt,
      actor_role: e.requesterRole,
      action: `erase ${e.scope}`,
      on_behalf_of_citizen: e.onBehalfOf ? 'yes' : 'no',
      state: e.result,
      detail: e.detail,
    });
  for (const p of data.readings)
    rows.push({
      section: 'reading',
      time: p.ts,
      category: p.category,
      device: p.deviceId,
      kind: p.kind,
      value: p.value,
      detail:
        lang === 'da'
          ? [p.test ? WORDS.testReading : null, fill(WORDS.readingDetail!, { seq: p.seq })]
              .filter(Boolean)
              .join('; ')
          : p.test
            ? `seq ${p.seq}; a technician's test reading`
            : `seq ${p.seq}`,
    });
  return rows;
}

const CSV_DESCRIPTION =
  'As Danish spreadsheets read it (RFC 4180 with `;`): UTF-8 with a byte-order mark, `;` between cells, CRLF ' +
  'line ends, numbers with a decimal comma (21,5). One table; the `section` column says what a ' +
  'row is (responder_card, consent, alert, access, erasure, reading) and the other columns are filled as they apply: ' +
  `${CSV_HEADER.join(', ')} with \`lang=en\`; in Danish (the default) ${CSV_HEADER.map((c) => CSV_HEADER_DA[c]).join(', ')}, ` +
  'and every fixed value (sections, roles, actions, channels, bases, purposes, states, kinds, categories, ' +
  'outcomes, yes/no, and the detail column, where a test alert or reading starts with "Test") in Danish too. Times are local ' +
  "`YYYY-MM-DD HH:MM:SS` in the home's time zone, which the time column names, e.g. `tid (Europe/Copenhagen)`. " +
  'A cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is kept as text with a leading apostrophe.';

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
        const { format, lang } = query;
        const home = recordHome(ctx, actor.user, params.homeId);
        if (actor.user.role === 'staff') throw forbidden('the export is for the citizen and their relatives');
        if (!ctx.readings) throw new TryghedError('unavailable', 'no time-series store is connected');
        const now = ctx.clock.now();
        // Recorded first, so the export's own access log shows this export.
        await ctx.auditLog.append({
          at: now,
          actorId: actor.user.id,
          actorRole: actor.user.role,
          action: 'export.download',
          homeId: home.id,
          purpose: purposeOf(actor.user.role),
          detail: format,
        });
        const [card, consent, alerts, log, erasures, readings] = await Promise.all([
          ctx.responderCards.get(home.id),
          consentHistory(ctx, home.id),
          homeAlerts(ctx, actor.user, home.id),
          accessLog(ctx, home.id, 100_000),
          ctx.erasures.ofHome(home.id),
          allReadings(ctx.readings, home.id, now),
        ]);
        const stamp = csvTime(now, home.timezone).slice(0, 10); // the home's date, as the citizen sees it
        res.set('cache-control', 'no-store');
        // home ids are [A-Za-z0-9_-] (HomeId), so the name needs no further escaping
        res.set('content-disposition', `attachment; filename="tryghed-${home.id}-${stamp}.${format}"`);
        if (format === 'csv') {
          const rows = [
            ...(card ? cardCsvRows(card) : []),
            ...csvRows(lang, home.timezone, {
              consent,
              alerts,
              accessLog: log,
              erasures,
              readings: readings.points,
            }),
          ];
          return new TextBody('text/csv', csvTable(rows, lang, home.timezone));
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
