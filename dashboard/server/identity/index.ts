export { LocalAccounts } from './local.ts';
export { type OidcSettings, OpenIdConnect } from './oidc.ts';
export { PendingLogins } from './pending-logins.ts';
export {
  type IdentityProvider,
  LoginRefused,
  type PasswordIdentityProvider,
  type PendingLogin,
  type RedirectIdentityProvider,
} from './types.ts';
