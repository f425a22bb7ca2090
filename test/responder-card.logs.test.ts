import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

const PASSWORD = 'password-123';
/** what must never reach a log line: numbers, names, the code, the notes */
const SECRETS = ['87654321', '4711', 'Dorte', 'potteplanten', 'Hund', 'Skovvej', '20304050'];

describe("the responder's card never reaches the logs", () => {
  let f: Awaited<ReturnType<typeof servicesFixture>>;
  let dashboard: Dashboard;
  let staff: ApiClient;
  const lines: string[] = [];

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await f.home('home-a', ['fall']);
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    // every level, every line kept as written
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    dashboard = await startTestDashboard(f, { logger });
    staff = await ApiClient.login(dashboard.url, 'anna', PASSWORD);
  });
  afterAll(async () => {
    await dashboard?.close();
    await f?.close();
  });

  it('saving, reading, showing the code and a refused save log nothing of its content', async () => {
    const card = {
      address: { lines: ['Skovvej 2'], postcode: '2750', city: 'Ballerup' },
      entry: { keyBoxLocation: 'bag potteplanten', keyBoxCode: '4711' },
      accessNotes: 'Hund',
      citizenPhone: '20304050',
      contacts: [{ name: 'Dorte', relation: 'datter', phone: '87654321', priority: 1 }],
    };
    await staff.ok('PUT', '/api/homes/home-a/responder-card', card);
    await staff.ok('GET', '/api/homes/home-a/responder-card');
    expect(await staff.ok('POST', '/api/homes/home-a/responder-card/key-box-code', {})).toEqual({
      keyBoxCode: '4711',
    });
    const refused = await staff.request('PUT', '/api/homes/home-a/responder-card', {
      ...card,
      citizenPhone: 'Dorte 87654321 x',
    });
    expect(refused.status).toBe(400);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) for (const s of SECRETS) expect(line).not.toContain(s);
    // and what the audit log keeps of a change is the parts' codes (the pages word them)
    const audit = await f.store.audit.listByHome('home-a');
    const update = audit.find((e) => e.action === 'responder_card.update');
    expect(update?.detail).toBe('address,key_box_location,key_box_code,access_notes,citizen_phone,contacts');
  });
});
