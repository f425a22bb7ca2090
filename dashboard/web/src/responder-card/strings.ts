import { section } from '../messages/index.ts';

/** A string of the responder's card and staff consent (the catalog's `card` section). */
export const rt = section('card');
