import { describe, expect, it } from 'vitest';
import { RELAYED_SCHEMAS } from '../services/events/wire.ts';

describe('home/erased between processes', () => {
  const schema = RELAYED_SCHEMAS['home/erased'];

  it("carries the erasure's own time", () => {
    expect(schema.parse({ homeId: 'h1', at: 1_700_000_000_000 })).toEqual({
      homeId: 'h1',
      at: 1_700_000_000_000,
    });
  });

  it('from a release that sent no time (a rolling upgrade): taken, with the time it arrived', () => {
    const before = Date.now();
    const parsed = schema.parse({ homeId: 'h1' }) as { homeId: string; at: number };
    expect(parsed.homeId).toBe('h1');
    expect(parsed.at).toBeGreaterThanOrEqual(before);
    expect(parsed.at).toBeLessThanOrEqual(Date.now());
  });

  it('refuses anything else', () => {
    expect(schema.safeParse({ homeId: 'h1', at: -1 }).success).toBe(false);
    expect(schema.safeParse({ homeId: 'h1', at: 1, extra: true }).success).toBe(false);
    expect(schema.safeParse({ at: 1 }).success).toBe(false);
  });
});
