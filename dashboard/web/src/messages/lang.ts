/** Danish first; English for staff who read it more easily. The choice is kept on this device. */
export type Lang = 'da' | 'en';

let lang: Lang = globalThis.localStorage?.getItem('tryghed.lang') === 'en' ? 'en' : 'da';

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  globalThis.localStorage?.setItem('tryghed.lang', next);
  if (globalThis.document) document.documentElement.lang = next;
}
