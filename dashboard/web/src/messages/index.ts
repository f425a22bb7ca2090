import { catalog, type KeysWithPrefix, type MessageKey, type Section } from './catalog.ts';
import { currentLang } from './lang.ts';

export { type Catalog, catalog, type MessageKey, type Section } from './catalog.ts';
export { currentLang, type Lang, setLang } from './lang.ts';

export type Vars = Record<string, string | number>;

const fill = (text: string, vars: Vars) =>
  text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));

/** A word of the catalog in the current language, `{name}` placeholders filled from `vars`. */
export function message<S extends Section>(section: S, key: MessageKey<S>, vars: Vars = {}): string {
  const words = catalog[currentLang()][section] as Record<MessageKey<S>, string>;
  return fill(words[key], vars);
}

/** One section's words: `ta('saved')`, and `ta.of('role_', user.role)` for a value the server sent. */
export interface SectionWords<S extends Section> {
  (key: MessageKey<S>, vars?: Vars): string;
  of<P extends string>(
    prefix: KeysWithPrefix<S, P> extends never ? never : P,
    value: string,
    vars?: Vars,
  ): string;
}

/** One section's lookup, for a page's short name (`ta('saved')`). */
export function section<S extends Section>(name: S): SectionWords<S> {
  const words = (key: MessageKey<S>, vars?: Vars) => message(name, key, vars);
  return Object.assign(words, {
    of: <P extends string>(
      prefix: KeysWithPrefix<S, P> extends never ? never : P,
      value: string,
      vars?: Vars,
    ) => messageFor(name, prefix, value, vars),
  });
}

/** Whether the section has words for `key` (a value the server sent: a rule, a state, a role). */
export function hasMessage<S extends Section>(name: S, key: string): key is MessageKey<S> {
  return Object.hasOwn(catalog.da[name], key);
}

/**
 * The words for one value of an enumeration the server sends (`rule_` + `fall`). The value itself is
 * never shown as if it were a word: one the catalog does not know yet reads "ukendt (value)".
 */
export function messageFor<S extends Section, P extends string>(
  name: S,
  prefix: KeysWithPrefix<S, P> extends never ? never : P,
  value: string,
  vars: Vars = {},
): string {
  const key = `${prefix}${value}`;
  if (hasMessage(name, key)) return message(name, key, vars);
  return message('common', 'unknownValue', { value });
}
