import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { User } from '../../../services/domain/index.ts';
import type { People } from '../../../services/people/index.ts';
import type { Clock } from '../../../services/runtime/index.ts';
import { LoginRefused, type PendingLogin, type RedirectIdentityProvider } from './types.ts';

export interface OidcSettings {
  /** the issuer exactly as the provider names itself; discovery is read from `{issuer}/.well-known/openid-configuration` */
  issuer: string;
  clientId: string;
  /** empty for a public client (PKCE only, token endpoint auth `none`) */
  clientSecret: string;
  /** our callback, registered at the provider; a function because a port picked at start is known only then */
  redirectUrl: () => string;
  /** the ID token claim whose value is a user's username here, e.g. `sub` or `preferred_username` */
  userClaim: string;
  scope?: string;
}

/** The parts of OpenID Connect Discovery 1.0 §3 we use. */
const ProviderMetadata = z.object({
  issuer: z.string().url(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
type ProviderMetadata = z.infer<typeof ProviderMetadata>;

const TokenResponse = z.object({ id_token: z.string().min(1), token_type: z.string().optional() });

const HTTP_TIMEOUT_MS = 10_000;
/** allowed difference between our clock and the provider's, for `iat`/`exp` */
const CLOCK_TOLERANCE_S = 60;

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/**
 * OpenID Connect, authorization code flow with PKCE (RFC 7636, S256), `state` against login CSRF
 * and `nonce` against a replayed ID token (OIDC Core §3.1.2.1, §15.5.2). The ID token's signature
 * is checked against the issuer's JWKS, and its issuer, audience, expiry and nonce against what we
 * expect; its `userClaim` must name an existing account here.
 */
export class OpenIdConnect implements RedirectIdentityProvider {
  readonly kind = 'redirect';
  readonly id = 'oidc';
  readonly label = { da: 'Log ind med kommunens login', en: "Log in with the municipality's login" };
  private discovery: Promise<{ meta: ProviderMetadata; jwks: ReturnType<typeof createRemoteJWKSet> }> | null =
    null;

  constructor(
    private readonly settings: OidcSettings,
    private readonly people: People,
    private readonly clock: Clock,
  ) {}

  async begin(): Promise<{ url: string; pending: PendingLogin }> {
    const { meta } = await this.provider();
    const pending: PendingLogin = {
      state: base64url(randomBytes(24)),
      nonce: base64url(randomBytes(24)),
      codeVerifier: base64url(randomBytes(32)),
      startedAt: this.clock.now(),
    };
    const url = new URL(meta.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', this.settings.redirectUrl());
    url.searchParams.set('scope', this.settings.scope ?? 'openid profile');
    url.searchParams.set('state', pending.state);
    url.searchParams.set('nonce', pending.nonce);
    url.searchParams.set(
      'code_challenge',
      base64url(createHash('sha256').update(pending.codeVerifier).digest()),
    );
    url.searchParams.set('code_challenge_method', 'S256');
    return { url: url.href, pending };
  }

  async complete(callback: Record<string, string | undefined>, pending: PendingLogin): Promise<User> {
    // state first: an answer to a login this browser did not start is not looked at any further
    if (!callback.state || callback.state !== pending.state) {
      throw new LoginRefused('state', 'the login answer does not belong to the login this browser started');
    }
    if (callback.error) {
      throw new LoginRefused('idp_error', `the identity provider refused: ${callback.error.slice(0, 100)}`);
    }
    if (!callback.code) throw new LoginRefused('idp_error', 'the identity provider sent no code');
    const { meta, jwks } = await this.provider();
    const idToken = await this.exchange(meta, callback.code, pending.codeVerifier);

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(idToken, jwks, {
        issuer: meta.issuer,
        audience: this.settings.clientId,
        algorithms: (meta.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) => a !== 'none'),
        currentDate: new Date(this.clock.now()),
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'iat', 'exp'],
      }));
    } catch (err) {
      const why =
        err instanceof joseErrors.JOSEError
          ? `${err.code}: ${err.message}`
          : 'the ID token could not be checked';
      throw new LoginRefused('id_token', `the ID token was refused (${why})`, { cause: err });
    }
    // OIDC Core §3.1.3.7: with several audiences, `azp` must be us
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== this.settings.clientId) {
      throw new LoginRefused('id_token', 'the ID token was issued to another party (azp)');
    }
    if (claims.nonce !== pending.nonce) {
      throw new LoginRefused('nonce', 'the ID token does not carry the nonce of this login');
    }
    const value = claims[this.settings.userClaim];
    if (typeof value !== 'string' || value === '') {
      throw new LoginRefused('no_claim', `the ID token has no ${this.settings.userClaim} claim`);
    }
    const user = await this.people.userByUsername(value);
    if (!user) throw new LoginRefused('unknown_user', 'no account here for this person');
    return user;
  }

  /** Discovery and the key set, fetched once; a failure is not kept, so the next login tries again. */
  private provider() {
    this.discovery ??= this.discover().catch((err: unknown) => {
      this.discovery = null;
      throw err;
    });
    return this.discovery;
  }

  private async discover() {
    const issuer = this.settings.issuer.replace(/\/$/, '');
    let meta: ProviderMetadata;
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      meta = ProviderMetadata.parse(await res.json());
    } catch (err) {
      throw new LoginRefused('unavailable', `the identity provider's discovery document could not be read`, {
        cause: err,
      });
    }
    // OIDC Discovery §4.3: the issuer in the document must be the one we asked
    if (meta.issuer !== this.settings.issuer) {
      throw new LoginRefused(
        'unavailable',
        `the discovery document names issuer ${meta.issuer}, not ${this.settings.issuer} (OIDC_ISSUER)`,
      );
    }
    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: HTTP_TIMEOUT_MS });
    return { meta, jwks };
  }

  private async exchange(meta: ProviderMetadata, code: string, codeVerifier: string): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.settings.redirectUrl(),
      code_verifier: codeVerifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const { clientId, clientSecret } = this.settings;
    const methods = meta.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (!clientSecret) {
      form.set('client_id', clientId);
    } else if (methods.includes('client_secret_basic')) {
      // RFC 6749 §2.3.1: both parts form-encoded before base64
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    let res: Response;
    try {
      res = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers,
        body: form,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (err) {
      throw new LoginRefused('unavailable', 'the token endpoint did not answer', { cause: err });
    }
    const parsed = TokenResponse.safeParse(await res.json().catch(() => null));
    if (!res.ok || !parsed.success) {
      throw new LoginRefused('token_exchange', `the token endpoint refused the code (HTTP ${res.status})`);
    }
    return parsed.data.id_token;
  }
}
