import { describe, expect, it } from 'vitest';
import { csvCell, csvTime, toCsv } from '../dashboard/server/csv.ts';

describe('the CSV writer, as Danish spreadsheets read it', () => {
  it('writes a byte-order mark, `;` between cells and CRLF line ends', () => {
    expect(toCsv(['enhed', 'værdi'], [['temp-1', 21.5]])).toBe('\uFEFFenhed;værdi\r\ntemp-1;21,5\r\n');
  });

  it('writes numbers with a decimal comma and no thousands separator; a negative number stays a number', () => {
    expect(csvCell(21.5)).toBe('21,5');
    expect(csvCell(-3.25)).toBe('-3,25');
    expect(csvCell(1234567)).toBe('1234567');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('quotes a cell holding `;`, a comma, a quote or a line break, and keeps formula-like text as text', () => {
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('sagde "ok"')).toBe('"sagde ""ok"""');
    expect(csvCell('linje 1\r\nlinje 2')).toBe('"linje 1\r\nlinje 2"');
    expect(csvCell('=HYPERLINK("x";"y")')).toBe(`"'=HYPERLINK(""x"";""y"")"`);
    expect(csvCell('+4512345678')).toBe("'+4512345678");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('writes a time as local `YYYY-MM-DD HH:MM:SS` in the given zone, summer and winter', () => {
    expect(csvTime(Date.UTC(2026, 10, 28, 9, 12, 5), 'Europe/Copenhagen')).toBe('2026-11-28 10:12:05');
    expect(csvTime(Date.UTC(2026, 6, 1, 22, 0, 0), 'Europe/Copenhagen')).toBe('2026-07-02 00:00:00');
    expect(csvTime(Date.UTC(2026, 6, 1, 22, 0, 0), 'UTC')).toBe('2026-07-01 22:00:00');
  });
});
