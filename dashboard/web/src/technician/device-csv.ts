import { SENSOR_KINDS, type SensorKind } from '../../../../services/domain/shared/sensor-kinds.ts';

/** One row of a bulk provisioning file, as `POST /api/provisioning/devices` takes it. */
export interface CsvDevice {
  id: string;
  homeId: string;
  kinds: SensorKind[];
  role?: 'sensor' | 'gateway';
  reportIntervalS?: number;
}

/** what is wrong with a line, as a code the page words from the catalog (`csvBad_<problem>`) */
export type CsvProblem = 'id' | 'home' | 'noKinds' | 'kind' | 'role' | 'interval' | 'noDevices';

export type CsvResult =
  | { ok: true; devices: CsvDevice[] }
  | { ok: false; line: number; problem: CsvProblem; value: string };

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const KINDS = new Set<string>(SENSOR_KINDS);

/**
 * Reads a device list: one device per line, `id;home;kinds[;role[;reportIntervalS]]`. The separator
 * is `;` (as Danish spreadsheets write CSV) or `,`; kinds are separated by spaces, `|` or (with `;`
 * as separator) commas. A first line starting with `id` is a header; empty lines and `#` comments
 * are skipped. The first bad line is named, so nothing half-right is sent.
 */
export function parseDeviceCsv(text: string): CsvResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.find((l) => l.trim() && !l.trim().startsWith('#')) ?? '';
  const sep = first.includes(';') ? ';' : ',';
  const devices: CsvDevice[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw || raw.startsWith('#')) continue;
    const cells = raw.split(sep).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (devices.length === 0 && /^(id|enhed|device)/i.test(cells[0] ?? '')) continue; // header
    const [id = '', homeId = '', kindCell = '', role = '', interval = ''] = cells;
    const line = i + 1;
    if (!ID.test(id)) return { ok: false, line, problem: 'id', value: id };
    if (!ID.test(homeId)) return { ok: false, line, problem: 'home', value: homeId };
    const kinds = kindCell.split(sep === ';' ? /[\s|,]+/ : /[\s|]+/).filter(Boolean);
    if (kinds.length === 0) return { ok: false, line, problem: 'noKinds', value: '' };
    const unknown = kinds.find((k) => !KINDS.has(k));
    if (unknown) return { ok: false, line, problem: 'kind', value: unknown };
    if (role && role !== 'sensor' && role !== 'gateway')
      return { ok: false, line, problem: 'role', value: role };
    const seconds = interval ? Number(interval) : undefined;
    if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 10 && seconds <= 86_400))
      return { ok: false, line, problem: 'interval', value: interval };
    devices.push({
      id,
      homeId,
      kinds: [...new Set(kinds.flatMap((k) => SENSOR_KINDS.filter((s) => s === k)))],
      ...(role ? { role: role as 'sensor' | 'gateway' } : {}),
      ...(seconds !== undefined ? { reportIntervalS: seconds } : {}),
    });
  }
  if (devices.length === 0) return { ok: false, line: 1, problem: 'noDevices', value: '' };
  return { ok: true, devices };
}

/**
 * The secrets file handed to the technician once, as Danish spreadsheets read it: a byte-order mark,
 * a Danish header, `;` between cells, CRLF line ends. Every cell is server-made (ids match `ID`,
 * secrets and topics hold no `;`, quote or line break), so none needs quoting, and none gets the
 * formula guard's apostrophe, which would corrupt a secret copied from the raw file.
 */
export function secretsCsv(
  rows: ReadonlyArray<{ id: string; homeId: string; secret: string }>,
  topicOf: (homeId: string, id: string) => string,
): string {
  const lines = ['enhed;hjem;brugernavn;hemmelighed;emne'];
  for (const r of rows) lines.push([r.id, r.homeId, r.id, r.secret, topicOf(r.homeId, r.id)].join(';'));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
