import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dashboard } from '../dashboard/server/index.ts';
import { addUser, cookieOf, setCookieHeader, startTestDashboard } from './harness/dashboard.ts';
import { type NextLogin, TestOidcProvider } from './harness/oidc-provider.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const CLIENT = { clientId: 'tryghed-dashboard', clientSecret: 's3cret:with/odd chars' };

describe('login with OpenID Connect against a real (minimal) provider', () => {
  let f: Fixture;
  let idp: TestOidcProvider;
  let dashboard: Dashboard;
  let url: string;

  /** What a browser does: start, log in at the provider, come back. Returns where it ends up. */
  const browserLogin = async (options: { keepPendingCookie?: boolean } = {}) => {
    const start = await fetch(`${url}/api/session/oidc/start`, { redirect: 'manual' });
    expect(start.status).toBe(303);
    const authorizeUrl = new URL(start.headers.get('location')!);
    const pending = cookieOf(start, 'tryghed_login');
    const atIdp = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(atIdp.status).toBe(302);
    const callback = atIdp.headers.get('location')!;
    const back = await fetch(callback, {
      redirect: 'manual',
      headers: options.keepPendingCookie === false || !pending ? {} : { cookie: pending },
    });
    return {
      start,
      authorizeUrl,
      callback,
      pending,
      back,
      location: back.headers.get('location'),
      session: cookieOf(back, 'tryghed_session'),
    };
  };
  const whoAmI = async (cookie: string) => {
    const res = await fetch(`${url}/api/session`, { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as { user?: { username: string } } };
  };
  const refusedWith = async (next: NextLogin) => {
    idp.next = next;
    const { location, session } = await browserLogin();
    expect(session).toBeUndefined();
    return location;
  };

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await addUser(f, 'anna.hansen', 'staff', 'not-used-here-1', { teamIds: ['t'] });
    idp = await TestOidcProvider.start({ ...CLIENT, now: () => f.clock.now() });
    dashboard = await startTestDashboard(f, {
      oidc: { issuer: idp.issuer, ...CLIENT, userClaim: 'preferred_username' },
    });
    url = dashboard.url;
  });
  afterAll(async () => {
    await dashboard?.close();
    await idp?.close();
    await f?.close();
  });
  beforeEach(() => {
    idp.next = { claims: { sub: 'f81d4fae-7dec', preferred_username: 'anna.hansen' } };
  });

  it('offers the OIDC login next to local accounts, and documents its routes', async () => {
    const { providers } = (await (await fetch(`${url}/api/session/providers`)).json()) as {
      providers: Array<{ id: string; kind: string; start?: string; label?: { da: string } }>;
    };
    expect(providers.map((p) => [p.id, p.kind])).toEqual([
      ['local', 'password'],
      ['oidc', 'redirect'],
    ]);
    expect(providers[1]?.start).toBe('/api/session/oidc/start');
    expect(providers[1]?.label?.da).toMatch(/Log ind/);
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/session/oidc/start', '/api/session/oidc/callback']),
    );
  });

  it('logs a known user in: code flow with PKCE, state and nonce; a Strict session cookie', async () => {
    const login = await browserLogin();
    const q = login.authorizeUrl.searchParams;
    expect(login.authorizeUrl.origin + login.authorizeUrl.pathname).toBe(`${idp.issuer}/authorize`);
    expect(q.get('client_id')).toBe(CLIENT.clientId);
    expect(q.get('redirect_uri')).toBe(`${url}/api/session/oidc/callback`);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('scope')).toContain('openid');
    // the login in flight is a handle only, Lax so it survives the way back from the provider
    expect(setCookieHeader(login.start, 'tryghed_login')).toMatch(
      /HttpOnly.*SameSite=Lax|SameSite=Lax.*HttpOnly/,
    );
    expect(setCookieHeader(login.start, 'tryghed_login')).not.toContain(q.get('state')!);
    // the provider got the verifier matching the challenge (it checks), over client_secret_basic
    expect(idp.tokenRequests.at(-1)?.get('code_verifier')).toBeTruthy();
    expect(login.back.status).toBe(303);
    expect(login.location).toBe('/');
    expect(setCookieHeader(login.back, 'tryghed_session')).toMatch(/HttpOnly/);
    expect(setCookieHeader(login.back, 'tryghed_session')).toMatch(/SameSite=Strict/);
    const me = await whoAmI(login.session!);
    expect(me.status).toBe(200);
    expect(me.body.user?.username).toBe('anna.hansen');
  });

  it("someone guessing a person's password locks only the password login: the municipal login works and ends the lock", async () => {
    const password = () =>
      fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'anna.hansen', password: 'not-used-here-1' }),
      }).then((r) => r.status);
    for (let i = 0; i < 10; i++) {
      const wrong = await fetch(`${url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'anna.hansen', password: `guess-${i}` }),
      });
      expect(wrong.status).toBe(401);
    }
    expect(await password()).toBe(429);
    const login = await browserLogin();
    expect(login.location).toBe('/');
    expect((await whoAmI(login.session!)).status).toBe(200);
    expect(await password()).toBe(200);
  });

  it('refuses an ID token signed with a key not in the JWKS', async () => {
    expect(await refusedWith({ ...idp.next, wrongKey: true })).toBe('/?login=refused&reason=id_token');
  });

  it('refuses an ID token for another audience', async () => {
    expect(await refusedWith({ ...idp.next, audience: 'some-other-app' })).toBe(
      '/?login=refused&reason=id_token',
    );
  });

  it('refuses an ID token with another nonce (a replayed token)', async () => {
    expect(await refusedWith({ ...idp.next, nonce: 'nonce-of-another-login' })).toBe(
      '/?login=refused&reason=nonce',
    );
  });

  it('refuses an ID token from another issuer, or one that has expired', async () => {
    expect(await refusedWith({ ...idp.next, issuer: 'https://evil.example' })).toBe(
      '/?login=refused&reason=id_token',
    );
    expect(await refusedWith({ ...idp.next, expiresIn: -120 })).toBe('/?login=refused&reason=id_token');
  });

  it('refuses a person the provider knows but who has no account here', async () => {
    const location = await refusedWith({ claims: { sub: 'x-1', preferred_username: 'stranger' } });
    expect(location).toBe('/?login=refused&reason=unknown_user');
    // the claim that is configured is the one used: `sub` alone does not name an account here
    expect(await refusedWith({ claims: { sub: 'anna.hansen' } })).toBe('/?login=refused&reason=no_claim');
  });

  it('refuses a callback the browser did not start (login CSRF), and a callback used twice', async () => {
    const foreign = await browserLogin({ keepPendingCookie: false });
    expect(foreign.location).toBe('/?login=refused&reason=state');
    expect(foreign.session).toBeUndefined();

    const ok = await browserLogin();
    expect(ok.location).toBe('/');
    const replay = await fetch(ok.callback, { redirect: 'manual', headers: { cookie: ok.pending! } });
    expect(replay.headers.get('location')).toBe('/?login=refused&reason=state');
    expect(cookieOf(replay, 'tryghed_session')).toBeUndefined();
  });

  it('refuses a callback whose state is not the one sent', async () => {
    const start = await fetch(`${url}/api/session/oidc/start`, { redirect: 'manual' });
    const pending = cookieOf(start, 'tryghed_login')!;
    const atIdp = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const callback = new URL(atIdp.headers.get('location')!);
    callback.searchParams.set('state', 'forged-state');
    const back = await fetch(callback, { redirect: 'manual', headers: { cookie: pending } });
    expect(back.headers.get('location')).toBe('/?login=refused&reason=state');
  });

  it('an OIDC session ends at logout like any other', async () => {
    const { session } = await browserLogin();
    const me = await fetch(`${url}/api/session`, { headers: { cookie: session! } });
    const { csrfToken } = (await me.json()) as { csrfToken: string };
    const out = await fetch(`${url}/api/session`, {
      method: 'DELETE',
      headers: { cookie: session!, 'x-csrf-token': csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await whoAmI(session!)).status).toBe(401);
  });

  it('without OIDC settings there is no OIDC route at all', async () => {
    const plain = await startTestDashboard(f);
    try {
      expect((await fetch(`${plain.url}/api/session/oidc/start`, { redirect: 'manual' })).status).toBe(404);
      expect(plain.mountedApiRoutes().some((r) => r.includes('oidc'))).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
