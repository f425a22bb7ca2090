import { afterEach, describe, expect, it } from 'vitest';
import { alertStateText } from '../dashboard/web/src/citizen/words.ts';
import { setLang } from '../dashboard/web/src/messages/index.ts';

/**
 * What the citizen is told about an alert says no more than happened (issue 13): "på vej" only once
 * someone set out, "fremme" once someone arrived; an acknowledgement alone is "seen".
 */
describe("the citizen's words for where an alert is", () => {
  afterEach(() => setLang('da'));
  const at = 1_780_000_000_000;

  it('an acknowledged alert nobody set out for is seen, not "på vej"', () => {
    const text = alertStateText({ state: 'acknowledged', enRouteAt: null, arrivedAt: null });
    expect(text).toBe('Personalet har set alarmen');
    expect(text).not.toMatch(/på vej/i);
  });

  it('"på vej" once someone set out, "fremme" once someone arrived', () => {
    expect(alertStateText({ state: 'acknowledged', enRouteAt: at, arrivedAt: null })).toBe(
      'Personalet er på vej',
    );
    expect(alertStateText({ state: 'acknowledged', enRouteAt: at, arrivedAt: at + 60_000 })).toBe(
      'Personalet er fremme',
    );
    // fremme without a tap on "på vej" first is still fremme
    expect(alertStateText({ state: 'acknowledged', enRouteAt: null, arrivedAt: at })).toBe(
      'Personalet er fremme',
    );
  });

  it('open and resolved keep their own words; English says the same', () => {
    expect(alertStateText({ state: 'open', enRouteAt: null, arrivedAt: null })).toBe('Åben');
    expect(alertStateText({ state: 'resolved', enRouteAt: at, arrivedAt: at })).toBe('Afsluttet');
    setLang('en');
    expect(alertStateText({ state: 'acknowledged', enRouteAt: null, arrivedAt: null })).toBe(
      'Staff have seen the alert',
    );
    expect(alertStateText({ state: 'acknowledged', enRouteAt: at, arrivedAt: null })).toBe(
      'Staff are on their way',
    );
    expect(alertStateText({ state: 'acknowledged', enRouteAt: at, arrivedAt: at })).toBe(
      'Staff have arrived',
    );
  });
});
