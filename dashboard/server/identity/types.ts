import type { User } from '../../../services/domain/index.ts';

/**
 * How a person proves who they are. Every provider ends at an existing user account: a provider
 * never creates one, so who may use the dashboard (and with which role and teams) is decided in one
 * place, by an administrator.
 */
export type IdentityProvider = PasswordIdentityProvider | RedirectIdentityProvider;

/** Username and password checked by us (local accounts for development, tests and small sites). */
export interface PasswordIdentityProvider {
  readonly kind: 'password';
  readonly id: string;
  /** the account, or null when the username is unknown or the password wrong (not saying which) */
  verify(username: string, password: string): Promise<User | null>;
}

/** A login at someone else's site that comes back to us (OpenID Connect). */
export interface RedirectIdentityProvider {
  readonly kind: 'redirect';
  readonly id: string;
  /** the button's text, Danish first */
  readonly label: { da: string; en: string };
  /** where to send the browser, and what must be kept (server-side) until it comes back */
  begin(): Promise<{ url: string; pending: PendingLogin }>;
  /** the account for the browser's return; throws `LoginRefused` when anything does not check out */
  complete(callback: Record<string, string | undefined>, pending: PendingLogin): Promise<User>;
}

/** One login in flight: never sent to the browser, which holds only a random handle to it. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  startedAt: number;
}

/** Why a redirect login was refused: a reason code for the metric and the log, never the token. */
export class LoginRefused extends Error {
  constructor(
    readonly reason:
      | 'idp_error'
      | 'state'
      | 'token_exchange'
      | 'id_token'
      | 'nonce'
      | 'no_claim'
      | 'unknown_user'
      | 'unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LoginRefused';
  }
}
