import { describe, expect, it } from 'vitest';
import { Metrics } from '../services/runtime/index.ts';

/**
 * Per-message counters (issue 12 point 3) add to a plain number and hand it to prom-client only
 * when the counter is read: what `/metrics` shows must still be every message, once.
 */
describe('a tally: a counter bound once for the per-message path', () => {
  it('shows every increment when read, per label, and never counts one twice', async () => {
    const metrics = new Metrics();
    const messages = metrics.counter('test_messages_total', 'Messages', ['type']);
    const readings = metrics.tally(messages, { type: 'readings' });
    const status = metrics.tally(messages, { type: 'status' });
    for (let i = 0; i < 5; i++) readings.inc();
    readings.inc(3);
    status.inc();
    expect(await metrics.value('test_messages_total', { type: 'readings' })).toBe(8);
    expect(await metrics.value('test_messages_total', { type: 'status' })).toBe(1);
    // read again without new messages: the same numbers, not doubled
    expect(await metrics.value('test_messages_total')).toBe(9);
    readings.inc();
    messages.inc({ type: 'status' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('test_messages_total{type="readings"} 9');
    expect(text).toContain('test_messages_total{type="status"} 2');
  });

  it('a second tally on the same counter and labels adds to the same series', async () => {
    const metrics = new Metrics();
    const a = metrics.tally(metrics.counter('test_total', 'Test', ['result']), { result: 'accepted' });
    const b = metrics.tally(metrics.counter('test_total', 'Test', ['result']), { result: 'accepted' });
    a.inc(2);
    b.inc(3);
    expect(await metrics.value('test_total', { result: 'accepted' })).toBe(5);
  });
});
