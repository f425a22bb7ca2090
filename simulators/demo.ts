import type { Logger } from '../services/runtime/index.ts';
import { HOME_KIT } from './home-kit.ts';
import type { Provisioner } from './provisioner.ts';
import { seededRandom } from './random.ts';
import { SimulatedHome } from './simulated-home.ts';

const NAMES = ['Ellen', 'Poul', 'Inger', 'Knud', 'Birthe', 'Jørgen', 'Kirsten', 'Henning', 'Grethe', 'Aage'];
const EVENTS = [
  { device: 'button', kind: 'alarm_button' },
  { device: 'fall', kind: 'fall' },
  { device: 'smoke', kind: 'smoke' },
] as const;

/**
 * Demo homes for `npm start -- --demo`: two teams, `homes` homes with the full kit and consent,
 * everyday readings, and an alarm, fall or smoke from a random home every 20-40 s, so a dashboard
 * shows life within a minute. Labels say "Demo"; no real person is behind them.
 */
export async function startDemo(o: {
  provisioner: Provisioner;
  brokerUrl: string;
  /** the CA to verify the broker by, when `brokerUrl` is mqtts:// */
  ca?: string;
  logger: Logger;
  homes?: number;
  seed?: number;
}): Promise<{ stop(): Promise<void> }> {
  const rnd = seededRandom(o.seed ?? Date.now());
  await o.provisioner.ensureTeam('team-nord', 'Team Nord');
  await o.provisioner.ensureTeam('team-syd', 'Team Syd');
  const homes: SimulatedHome[] = [];
  const count = o.homes ?? 6;
  for (let i = 1; i <= count; i++) {
    homes.push(
      await SimulatedHome.start({
        homeId: `demo-${i}`,
        label: `Demo: ${NAMES[(i - 1) % NAMES.length]} (demo-${i})`,
        teamId: i % 2 === 1 ? 'team-nord' : 'team-syd',
        brokerUrl: o.brokerUrl,
        ...(o.ca ? { ca: o.ca } : {}),
        provisioner: o.provisioner,
        logger: o.logger,
      }),
    );
  }
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const safely = (what: string, p: Promise<unknown>) =>
    p.catch((err: unknown) => o.logger.warn({ err, what }, 'demo step failed'));

  // everyday life: motion, temperature and heartbeats every 10 s, spread over the homes
  const everyday = setInterval(() => {
    for (const home of homes) {
      if (rnd() < 0.6) void safely('motion', home.send('motion', 'motion', 1));
      void safely('temperature', home.send('smoke', 'temperature', Math.round((20 + rnd() * 3) * 10) / 10));
      void safely('heartbeat', home.send('button', 'heartbeat', 1));
    }
  }, 10_000);

  // every device reports in once a minute, well inside 2.5 × its report interval, so the demo
  // raises no device_offline alert unless a device really is gone
  const alive = setInterval(() => {
    for (const home of homes)
      for (const kit of HOME_KIT) void safely('heartbeat', home.send(kit.suffix, 'heartbeat', 1));
  }, 60_000);

  const fire = (home: SimulatedHome, event: (typeof EVENTS)[number]) => {
    o.logger.info({ homeId: home.homeId, kind: event.kind }, 'demo event');
    void safely(event.kind, home.send(event.device, event.kind, 1));
    if (event.kind === 'smoke')
      later(30_000, () => void safely('smoke clear', home.send('smoke', 'smoke', 0)));
  };
  const scheduleEvent = (seconds: number) =>
    later(seconds * 1000, () => {
      const home = homes[Math.floor(rnd() * homes.length)];
      if (home) fire(home, EVENTS[Math.floor(rnd() * EVENTS.length)]!);
      scheduleEvent(20 + rnd() * 20);
    });
  // Whoever opens the dashboard first sees an alert within seconds, whichever team they are in:
  // one in the first home of each team, then one from a random home every 20-40 s.
  if (homes[0]) later(5000, () => fire(homes[0]!, EVENTS[0]));
  if (homes[1]) later(8000, () => fire(homes[1]!, EVENTS[1]));
  scheduleEvent(30);
  o.logger.info({ homes: count }, 'demo homes running');

  return {
    async stop() {
      clearInterval(everyday);
      clearInterval(alive);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all(homes.map((h) => h.stop()));
    },
  };
}
