import { section } from '../messages/index.ts';

/** The oversight page's words (the catalog's `oversight` section). */
export const ot = section('oversight');
