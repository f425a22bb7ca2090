import { section } from '../messages/index.ts';

/** Words of the administration page and the password change (the catalog's `admin` section). */
export const ta = section('admin');
