import { type MessageKey, section } from './messages/index.ts';

export type BoardKey = MessageKey<'board'>;

/** A board word (the catalog's `board` section) with `{name}` placeholders filled in. */
export const tb = section('board');

/** The server's limit for a note (services/domain ResolveRequest): shown before it is reached. */
export const NOTE_MAX = 2000;
