import type { Platform } from '../../../platform/start.ts';
import type { SensorKind } from '../../../services/domain/index.ts';
import { type Clock, silentLogger } from '../../../services/runtime/index.ts';
import { restProvisioner, SimulatedHome } from '../../../simulators/index.ts';
import { ApiClient } from '../../harness/api.ts';
import { eventually, tempDir, uniqueDatabase } from '../../harness/index.ts';
import { startTestPlatform, TEST_ADMIN } from '../../harness/platform.ts';

export const STAFF_PASSWORD = 'password-123';

/** Two home-care teams, each with one care worker, and simulated homes that publish over MQTT. */
export const TEAMS = {
  a: { id: 'team-a', name: 'Hjemmepleje Nord', staff: 'sosu-a', displayName: 'Anna Sørensen' },
  b: { id: 'team-b', name: 'Hjemmepleje Syd', staff: 'sosu-b', displayName: 'Bo Nielsen' },
} as const;

export interface BoardAlert {
  id: string;
  homeId: string;
  rule: string;
  severity: string;
  state: string;
  repeats: number;
  outcome?: string | null;
  note?: string | null;
  acknowledgedBy: string | null;
}

/** Sensor readings that raise each immediate (critical) alert, and the device that sends them. */
const TRIGGERS: Record<string, { suffix: string; kind: SensorKind }> = {
  fall: { suffix: 'fall', kind: 'fall' },
  alarm_button: { suffix: 'button', kind: 'alarm_button' },
  smoke: { suffix: 'smoke', kind: 'smoke' },
};
export type TriggerRule = keyof typeof TRIGGERS;

/**
 * The whole platform on real parts (aedes, InfluxDB, SQLite, the dashboard with its bundled web
 * app) for browser tests, with teams, staff and simulated homes that raise alerts the way a real
 * sensor would: a reading published over MQTT with the device's own credentials.
 */
export class BoardPlatform {
  private readonly homes = new Map<string, SimulatedHome>();
  /** user id of each team's care worker, by team key */
  readonly staffIds: Record<keyof typeof TEAMS, string> = { a: '', b: '' };

  private constructor(
    readonly platform: Platform,
    readonly admin: ApiClient,
    private readonly remove: () => void,
  ) {}

  /**
   * `homes` maps a team key to the labels of its homes; home ids are `{team}-{n}` (`a-1`, `b-1`).
   * `env` adds platform settings (e.g. PUBLIC_URL when the page goes through a proxy).
   */
  static async start(o: {
    homes: { a?: string[]; b?: string[] };
    env?: Record<string, string>;
    /** the platform's clock (a ManualClock moves the night round's time) */
    clock?: Clock;
  }) {
    const dir = tempDir('tryghed-browser-');
    let platform: Platform;
    try {
      platform = await startTestPlatform({
        dataDir: dir.path,
        database: uniqueDatabase('browser'),
        ...(o.env ? { env: o.env } : {}),
        ...(o.clock ? { clock: o.clock } : {}),
      });
    } catch (err) {
      dir.remove();
      throw err;
    }
    const admin = await ApiClient.login(platform.dashboardUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const board = new BoardPlatform(platform, admin, () => dir.remove());
    try {
      for (const key of ['a', 'b'] as const) {
        const team = TEAMS[key];
        await admin.ok('POST', '/api/teams', { id: team.id, name: team.name });
        const { user } = await admin.ok<{ user: { id: string } }>('POST', '/api/users', {
          username: team.staff,
          password: STAFF_PASSWORD,
          displayName: team.displayName,
          role: 'staff',
          teamIds: [team.id],
        });
        board.staffIds[key] = user.id;
      }
      const provisioner = restProvisioner({
        apiUrl: platform.dashboardUrl,
        username: TEST_ADMIN.username,
        password: TEST_ADMIN.password,
      });
      for (const key of ['a', 'b'] as const) {
        for (const [i, label] of (o.homes[key] ?? []).entries()) {
          const homeId = `${key}-${i + 1}`;
          const home = await SimulatedHome.start({
            homeId,
            label,
            teamId: TEAMS[key].id,
            brokerUrl: platform.mqttUrl,
            provisioner,
            logger: silentLogger(),
            // real homes: test homes never page care staff
            test: false,
          });
          board.homes.set(homeId, home);
        }
      }
    } catch (err) {
      await board.close();
      throw err;
    }
    return board;
  }

  get url(): string {
    return this.platform.dashboardUrl;
  }

  /**
   * Publishes the reading that raises `rule` in `homeId` over MQTT, from the home's own sensor, and
   * waits until the platform has the open alert. The page is not asked: that is for the test.
   */
  async raise(homeId: string, rule: TriggerRule): Promise<BoardAlert> {
    await this.publish(homeId, rule);
    return eventually(
      async () => {
        const { alerts } = await this.admin.ok<{ alerts: BoardAlert[] }>('GET', '/api/alerts?state=open');
        return alerts.find((a) => a.homeId === homeId && a.rule === rule);
      },
      { what: `the ${rule} alert of ${homeId}`, timeoutMs: 10_000 },
    );
  }

  /** the same condition seen again while its alert is open: the platform counts a repeat on it */
  async repeat(alert: BoardAlert): Promise<BoardAlert> {
    const before = (await this.alert(alert.id)).repeats;
    await this.publish(alert.homeId, alert.rule as TriggerRule);
    return eventually(
      async () => {
        const now = await this.alert(alert.id);
        return now.repeats > before && now;
      },
      { what: `a repeat on ${alert.rule} in ${alert.homeId}`, timeoutMs: 10_000 },
    );
  }

  /** one reading from the home's own sensor (`suffix`: bed, door, smoke, motion, …), over MQTT */
  async send(homeId: string, suffix: string, kind: SensorKind, value: number): Promise<void> {
    const home = this.homes.get(homeId);
    if (!home) throw new Error(`no simulated home ${homeId}`);
    await home.send(suffix, kind, value);
  }

  private async publish(homeId: string, rule: TriggerRule): Promise<void> {
    const home = this.homes.get(homeId);
    if (!home) throw new Error(`no simulated home ${homeId}`);
    const trigger = TRIGGERS[rule];
    if (!trigger) throw new Error(`no simulated trigger for ${rule}`);
    await home.send(trigger.suffix, trigger.kind, 1);
  }

  /** the alert as the server has it now, read over REST by the administrator */
  async alert(id: string): Promise<BoardAlert> {
    const { alert } = await this.admin.ok<{ alert: BoardAlert }>('GET', `/api/alerts/${id}`);
    return alert;
  }

  async close(): Promise<void> {
    for (const home of this.homes.values()) await home.stop().catch(() => undefined);
    await this.platform?.close();
    this.remove();
  }
}
