import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { catalog } from '../dashboard/web/src/messages/catalog.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';
const errors = catalog.da.errors as Record<string, string>;

/**
 * Server errors carry stable codes the web app words in Danish (issue 11 point 6): `error`, a precise
 * `reason`, and per field a `code`; the English `message` stays for API users and logs.
 */
describe('error codes the web app words from its catalog', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let admin: ApiClient;

  beforeEach(async () => {
    f = await servicesFixture(Date.UTC(2026, 2, 2, 9, 0));
    await addUser(f, 'admin', 'admin', PASSWORD);
    dashboard = await startTestDashboard(f);
    admin = await ApiClient.login(dashboard.url, 'admin', PASSWORD);
  });
  afterEach(async () => {
    await dashboard.close();
    await f.close();
  });

  it('a refusal carries a reason the catalog knows, and the English message for logs', async () => {
    await admin.ok('POST', '/api/teams', { id: 'team-syd', name: 'Team Syd' });
    const again = await admin.request('POST', '/api/teams', { id: 'team-syd', name: 'Team Syd' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      error: 'conflict',
      reason: 'team_exists',
      message: 'team team-syd exists',
    });
    expect(errors.reason_team_exists).toMatch(/findes allerede/);

    const missing = await admin.request('PATCH', '/api/homes/nowhere/details', {
      teamId: 'team-syd',
      label: 'x',
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not_found', reason: 'home_not_found' });
    expect(errors.reason_home_not_found).toBeTruthy();

    const me = admin.user!.id;
    const last = await admin.request('PATCH', `/api/users/${me}`, { role: 'staff' });
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ reason: 'last_administrator' });
    expect(errors.reason_last_administrator).toBeTruthy();
  });

  it('a 400 names each field with a stable code the catalog words', async () => {
    const bad = await admin.request('POST', '/api/teams', { id: '', name: 'x', extra: 1 });
    expect(bad.status).toBe(400);
    const issues = (bad.body as { issues: Array<{ path: string; code?: string }> }).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.code, issue.path).toBeTruthy();
      expect(errors[`issue_${issue.code}`], `issue_${issue.code}`).toBeTruthy();
    }
    expect(issues.map((i) => i.code)).toContain('unknown_field');
  });
});
