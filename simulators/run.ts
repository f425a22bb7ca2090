import type { Scenario } from './scenarios.ts';
import type { SimulatedHome } from './simulated-home.ts';

/**
 * Plays a scenario's steps in order. `speed` compresses virtual time (60 = a minute per second);
 * device timestamps follow virtual time from `start`, so a compressed day still looks like a day.
 */
export async function playScenario(
  home: SimulatedHome,
  scenario: Scenario,
  options: {
    speed?: number;
    start?: number;
    signal?: AbortSignal;
    /** after each reading sent: how many so far, of how many, and the virtual time reached (ms from start) */
    onProgress?: (sent: number, total: number, virtualMs: number) => void;
  } = {},
): Promise<number> {
  const speed = options.speed ?? 1;
  const start = options.start ?? Date.now();
  const began = Date.now();
  let sent = 0;
  for (const step of scenario.steps) {
    const wait = began + step.at / speed - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (options.signal?.aborted) break;
    await home.send(step.device, step.kind, step.value, start + step.at);
    sent++;
    options.onProgress?.(sent, scenario.steps.length, step.at);
  }
  await home.drain();
  return sent;
}
