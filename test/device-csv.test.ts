import { describe, expect, it } from 'vitest';
import { parseDeviceCsv, secretsCsv } from '../dashboard/web/src/technician/device-csv.ts';

/** The technician page's bulk provisioning file: what it accepts, and what it names as wrong. */
describe('device CSV for bulk provisioning', () => {
  it('reads Danish semicolon CSV with a header, kinds by comma, optional role and interval', () => {
    const r = parseDeviceCsv(
      '\uFEFFid;home;kinds;role;reportIntervalS\r\nd-1;home-7;smoke, temperature,battery\r\n\r\n# a comment\r\ngw-7;home-7;heartbeat;gateway;300\r\n',
    );
    expect(r).toEqual({
      ok: true,
      devices: [
        { id: 'd-1', homeId: 'home-7', kinds: ['smoke', 'temperature', 'battery'] },
        { id: 'gw-7', homeId: 'home-7', kinds: ['heartbeat'], role: 'gateway', reportIntervalS: 300 },
      ],
    });
  });

  it('reads comma CSV with kinds by space or |, without a header', () => {
    const r = parseDeviceCsv('d-1,home-1,motion|door\nd-2,home-2,bed battery\n');
    expect(r.ok && r.devices.map((d) => d.kinds)).toEqual([
      ['motion', 'door'],
      ['bed', 'battery'],
    ]);
  });

  it('names the first bad line and what is wrong with it', () => {
    expect(parseDeviceCsv('id;home;kinds\nd-1;home-1;smoke\nd-2;home-1;laser\n')).toEqual({
      ok: false,
      line: 3,
      problem: 'kind',
      value: 'laser',
    });
    expect(parseDeviceCsv('d 1;home-1;smoke')).toMatchObject({ ok: false, line: 1 });
    expect(parseDeviceCsv('d-1;home-1;smoke;boss')).toMatchObject({
      ok: false,
      problem: 'role',
      value: 'boss',
    });
    expect(parseDeviceCsv('d-1;home-1;smoke;;5')).toMatchObject({ ok: false });
    expect(parseDeviceCsv('id;home;kinds\n')).toMatchObject({ ok: false, problem: 'noDevices' });
  });

  it('writes the secrets file as Danish spreadsheets read it: byte-order mark, Danish header, `;`, CRLF', () => {
    const csv = secretsCsv([{ id: 'd-1', homeId: 'h', secret: 's3cr3t' }], (h, d) => `t/${h}/${d}`);
    expect(csv).toBe('\uFEFFenhed;hjem;brugernavn;hemmelighed;emne\r\nd-1;h;d-1;s3cr3t;t/h/d-1\r\n');
    // the file reads back as a device list's header line would (the parser skips the mark and `enhed`)
    expect(parseDeviceCsv(`${csv.split('\r\n')[0]}\nd-1;h;smoke\n`)).toMatchObject({ ok: true });
  });
});
