import { afterEach, describe, expect, it } from 'vitest';
import { why } from '../dashboard/web/src/delivery.ts';
import { setLang } from '../dashboard/web/src/i18n.ts';

/** Why a notice was not delivered, as staff read it in "ikke leveret" (Danish first, English second). */
describe('the reason a notice was not delivered, in words', () => {
  afterEach(() => setLang('da'));

  it('says a notice given up for its age (NOTICE_GIVE_UP_H) is too old, not an unknown code', () => {
    expect(why('expired')).toBe('for gammel: ikke leveret i for lang tid, sendes ikke mere');
    setLang('en');
    expect(why('expired')).toBe('too old: not delivered for too long, no longer sent');
    expect(why('HTTP 503')).not.toContain('expired');
  });
});
