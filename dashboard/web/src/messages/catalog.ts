import * as admin from './admin.ts';
import * as attorneys from './attorneys.ts';
import * as board from './board.ts';
import * as card from './card.ts';
import * as citizen from './citizen.ts';
import * as common from './common.ts';
import * as errors from './errors.ts';
import * as exportWords from './export.ts';
import * as home from './home.ts';
import * as night from './night.ts';
import * as oversight from './oversight.ts';
import * as pairing from './pairing.ts';
import * as routine from './routine.ts';
import * as testMode from './testMode.ts';

/**
 * The one message catalog of the web app: every word a user can see, Danish first, English second,
 * in sections by page. Each section's English has exactly the Danish keys (a type error otherwise);
 * test/web-messages.test.ts checks that no value is empty.
 */
export const catalog = {
  da: {
    admin: admin.da,
    attorneys: attorneys.da,
    board: board.da,
    card: card.da,
    citizen: citizen.da,
    common: common.da,
    errors: errors.da,
    export: exportWords.da,
    home: home.da,
    night: night.da,
    oversight: oversight.da,
    pairing: pairing.da,
    routine: routine.da,
    testMode: testMode.da,
  },
  en: {
    admin: admin.en,
    attorneys: attorneys.en,
    board: board.en,
    card: card.en,
    citizen: citizen.en,
    common: common.en,
    errors: errors.en,
    export: exportWords.en,
    home: home.en,
    night: night.en,
    oversight: oversight.en,
    pairing: pairing.en,
    routine: routine.en,
    testMode: testMode.en,
  },
} as const;

export type Catalog = (typeof catalog)['da'];
export type Section = keyof Catalog;
/** a key of one section: only keys that exist, never any string */
export type MessageKey<S extends Section> = keyof Catalog[S] & string;
/** the keys of a section that start with `prefix` (`rule_`, `state_` …) */
export type KeysWithPrefix<S extends Section, P extends string> = Extract<MessageKey<S>, `${P}${string}`>;
