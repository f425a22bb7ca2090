/** One cell as a spreadsheet should read it: numbers as numbers, everything else as text. */
export type CsvValue = string | number | boolean | null | undefined;

/**
 * A cell as a Danish spreadsheet (Excel, LibreOffice with a Danish locale) reads it: numbers with a
 * decimal comma and no thousands separator (21,5); text quoted when it holds a `;`, a comma, a
 * quote or a line break, quotes doubled (RFC 4180 with `;` as the separator).
 * Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
 * apostrophe, so a note typed as "=HYPERLINK(...)" stays text (OWASP "CSV injection").
 */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).replace('.', ',') : '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[";,\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A CSV document as Danish spreadsheets write it: `;` between cells, CRLF line ends, and a
 * byte-order mark so spreadsheet programs read æ, ø and å as UTF-8.
 */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [header.map(csvCell).join(';')];
  for (const row of rows) lines.push(row.map(csvCell).join(';'));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A moment as a Danish spreadsheet takes it for a date and time: `2026-11-28 10:12:05`, local to `timeZone`. */
export function csvTime(ms: number, timeZone: string): string {
  // sv-SE writes ISO-like `YYYY-MM-DD HH:MM:SS`
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}
