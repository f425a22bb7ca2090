/**
 * The other language of a section: every key of the Danish words, no more, no fewer. A missing or
 * extra key is a type error, so a page can never fall back to a key or to the other language.
 */
export type Translation<T> = { readonly [K in keyof T]: string };
