import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../dashboard/web/src/messages/catalog.ts';
import type { Platform } from '../../platform/start.ts';
import { informationText, PURPOSE_TEXTS } from '../../services/domain/shared/information-texts.ts';
import { ApiClient } from '../harness/api.ts';
import { tempDir, uniqueDatabase } from '../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../harness/platform.ts';
import { errorsOf, TestBrowser } from './harness/chromium.ts';
import { englishOnlyFragments, languageFindings, visibleTexts } from './harness/language-check.ts';

const PASSWORD = 'password-123';
// ids unlike any word, so finding one on a page can only mean the id leaked where its name belongs
const HOME = { id: 'hjem-id-7f3a', label: 'Fru Dahl, Lindevej 4' };
const TEAM = { id: 'team-id-9c2b', name: 'Hjemmeplejen Nord' };

/** Every page, as each person who uses it, and a text that shows it has loaded. */
const PAGES = [
  { user: 'sosu-a', hash: '#alarmer', loaded: `Fald registreret – ${HOME.label}` },
  { user: 'sosu-a', hash: '#overblik', loaded: 'Udfald af alarmer de seneste 30 dage' },
  { user: 'sosu-a', hash: '#/homes', loaded: HOME.label },
  { user: 'sosu-a', hash: `#/homes/${HOME.id}`, loaded: 'Pårørende med fuldmagt' },
  { user: 'sosu-a', hash: `#/homes/${HOME.id}/card`, loaded: 'Beredskabskort' },
  { user: 'sosu-a', hash: '#tilsynsrunde', loaded: 'Ingen af dine hjem har en tilsynsrunde.' },
  {
    user: 'sosu-a',
    hash: `#/homes/${HOME.id}/tilsynsrunde`,
    loaded: 'Tidspunkter (TT:MM, adskilt af komma)',
  },
  { user: 'tekniker', hash: '#/technician', loaded: 'Enheder der kræver opmærksomhed' },
  { user: 'tekniker', hash: `#/technician/${HOME.id}`, loaded: 'sensor-stue-1' },
  { user: 'tekniker', hash: '#alarmer', loaded: `Enhed svarer ikke – ${HOME.label}` },
  { user: TEST_ADMIN.username, hash: '#/admin', loaded: TEAM.name },
  { user: TEST_ADMIN.username, hash: '#alarmer', loaded: `Fald registreret – ${HOME.label}` },
  { user: 'borger-a', hash: '', loaded: 'Hent dine oplysninger' },
  { user: 'paaroerende-a', hash: '', loaded: 'Hent dine oplysninger' },
] as const;

/**
 * Danish all the way (issue 11 point 6): every page, opened in Danish as each role, shows no piece
 * of the English catalog, no id of a thing that has a name (home, team, user), and no raw code
 * (`device_offline`). The last test shows the check catches each of these when they are there.
 */
describe('every page in Danish shows Danish words and names, never English or ids', () => {
  const dir = tempDir();
  let platform: Platform;
  let browser: TestBrowser;
  const english = englishOnlyFragments();
  // information text versions are shown by title and date, never by their id
  const ids: string[] = [
    HOME.id,
    TEAM.id,
    'emergency-alerts-2026-1',
    ...Object.values(PURPOSE_TEXTS).flatMap((texts) => Object.values(texts).map((t) => t.version)),
  ];

  const open = async (user: string, hash: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
    await page.goto(platform.dashboardUrl);
    await page.getByLabel('Brugernavn').fill(user);
    await page.getByLabel('Adgangskode').fill(user === TEST_ADMIN.username ? TEST_ADMIN.password : PASSWORD);
    await page.getByLabel('Adgangskode').press('Enter');
    await page.getByRole('button', { name: /Log ud/ }).waitFor();
    if (hash) await page.goto(`${platform.dashboardUrl}/${hash}`);
    return page;
  };

  beforeAll(async () => {
    browser = await TestBrowser.launch();
    platform = await startTestPlatform({ dataDir: dir.path, database: uniqueDatabase('danish') });
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.ok('POST', '/api/teams', TEAM);
    await admin.ok('POST', '/api/homes', { id: HOME.id, label: HOME.label, teamId: TEAM.id });
    await admin.ok('POST', `/api/homes/${HOME.id}/devices`, {
      id: 'sensor-stue-1',
      kinds: ['fall', 'motion', 'temperature', 'battery'],
    });
    for (const [username, role, teamIds, homeId, displayName] of [
      ['sosu-a', 'staff', [TEAM.id], null, 'Mette Sørensen'],
      ['tekniker', 'technician', [], null, 'Tekla Hansen'],
      ['borger-a', 'citizen', [], HOME.id, 'Ellen Dahl'],
      ['paaroerende-a', 'relative', [], null, 'Jens Dahl'],
    ] as const) {
      const { user } = await admin.ok<{ user: { id: string } }>('POST', '/api/users', {
        username,
        password: PASSWORD,
        displayName,
        role,
        teamIds,
        ...(homeId ? { homeId } : {}),
      });
      ids.push(user.id);
    }
    ids.push(admin.user!.id);
    const citizen = await ApiClient.login(platform.dashboardUrl, 'borger-a', PASSWORD);
    for (const category of ['emergency', 'activity'] as const) {
      for (const purpose of ['alerts', 'history'] as const) {
        await citizen.ok('POST', `/api/homes/${HOME.id}/consent`, {
          category,
          purpose,
          action: 'grant',
          channel: 'web',
          textVersion: informationText(category, purpose).version,
        });
      }
    }
    const staff = await ApiClient.login(platform.dashboardUrl, 'sosu-a', PASSWORD);
    await staff.ok('POST', `/api/homes/${HOME.id}/powers-of-attorney`, {
      relativeUsername: 'paaroerende-a',
      reference: 'Fuldmagt 2026-17',
    });
    // alerts as the rules raise them: a fall handled by staff, one open, and a device gone silent
    const now = Date.now();
    const fall = await platform.alerts.raise({
      homeId: HOME.id,
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: now - 3_600_000,
      evidence: {
        readings: [{ deviceId: 'sensor-stue-1', kind: 'fall', value: 1, ts: now - 3_600_000 }],
        summary: 'Fall detected',
      },
    });
    await staff.ok('POST', `/api/alerts/${fall!.id}/acknowledge`);
    await staff.ok('POST', `/api/alerts/${fall!.id}/resolve`, {
      outcome: 'false_alarm',
      note: 'Faldt ikke.',
    });
    await platform.alerts.raise({
      homeId: HOME.id,
      rule: 'fall',
      category: 'emergency',
      severity: 'critical',
      audience: 'care',
      at: now,
      evidence: {
        readings: [{ deviceId: 'sensor-stue-1', kind: 'fall', value: 1, ts: now }],
        summary: 'Fall detected',
      },
    });
    await platform.alerts.raise({
      homeId: HOME.id,
      rule: 'device_offline',
      category: 'technical',
      severity: 'medium',
      audience: 'technical',
      at: now,
      evidence: {
        readings: [],
        thresholds: {
          deviceId: 'sensor-stue-1',
          reportIntervalS: 300,
          offlineAfterS: 900,
          lastHeard: new Date(now - 1_000_000).toISOString(),
        },
        summary: 'Nothing received from device sensor-stue-1 since …',
      },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
    dir.remove();
  });

  for (const p of PAGES) {
    it(`${p.hash || 'the start page'} as ${p.user}`, async () => {
      const page = await open(p.user, p.hash);
      await page.getByText(p.loaded, { exact: false }).first().waitFor();
      // what loads after the first paint (lists, charts, the access log) has its turn
      await page.waitForLoadState('networkidle');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('da');
      expect(languageFindings(await visibleTexts(page), english, ids)).toEqual([]);
      expect(errorsOf(page)).toEqual([]);
      // a login (scrypt) and a whole page with its lists per test: under CI's load it has taken 30 s
    }, 60_000);
  }

  it('the check catches English, an id where a name exists, and a raw code (so a pass means something)', async () => {
    expect(english).toContain(catalog.en.common.noAlerts.replace(/\.$/, ''));
    expect(english).not.toContain('Team');
    const page = await open('sosu-a', '#alarmer');
    await page.getByText(`Fald registreret – ${HOME.label}`).first().waitFor();
    expect(languageFindings(await visibleTexts(page), english, ids)).toEqual([]);
    await page.evaluate(
      ([words, home]) => {
        const main = document.getElementById('main')!;
        const p = document.createElement('p');
        p.textContent = words;
        const q = document.createElement('p');
        q.textContent = `Hjem: ${home}`;
        const b = document.createElement('button');
        b.setAttribute('aria-label', 'Regel: device_offline');
        b.textContent = 'x';
        main.append(p, q, b);
      },
      [`${catalog.en.common.acknowledge} ${catalog.en.board.resolvedShow}`, HOME.id] as const,
    );
    const findings = languageFindings(await visibleTexts(page), english, ids);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`English "${catalog.en.board.resolvedShow}"`),
        expect.stringContaining(`id "${HOME.id}"`),
        expect.stringContaining('code "device_offline"'),
      ]),
    );
  });
});
