import type { User } from '../../../services/domain/index.ts';
import type { People } from '../../../services/people/index.ts';
import { verifySecret } from '../../../services/runtime/index.ts';
import type { PasswordIdentityProvider } from './types.ts';

/** Same work for an unknown user as for a wrong password, so timing does not reveal who exists. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Local accounts: scrypt password hashes in the store. */
export class LocalAccounts implements PasswordIdentityProvider {
  readonly kind = 'password';
  readonly id = 'local';

  constructor(private readonly people: People) {}

  async verify(username: string, password: string): Promise<User | null> {
    const user = await this.people.userByUsername(username);
    const ok = await verifySecret(password, user?.passwordHash ?? DUMMY_HASH);
    return user && ok ? user : null;
  }
}
