import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** What the next ID token says, and how it is spoiled for a refusal test. */
export interface NextLogin {
  /** the claims of the person who "logs in" at the provider */
  claims: Record<string, unknown>;
  /** sign with a key that is not in the JWKS */
  wrongKey?: boolean;
  audience?: string | string[];
  /** a nonce other than the one the dashboard sent */
  nonce?: string;
  issuer?: string;
  /** seconds from now until the token expires (negative: already expired) */
  expiresIn?: number;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  nonce: string;
  challenge: string;
  login: NextLogin;
}

/**
 * A minimal OpenID Connect provider, real enough for the dashboard to talk to over HTTP: discovery,
 * JWKS, an /authorize that "logs in" whoever `next` says and redirects back with a code, and a
 * /token that checks the client secret, the redirect URI and the PKCE verifier before it signs an
 * ID token (RS256). Listens on port 0.
 */
export class TestOidcProvider {
  next: NextLogin = { claims: {} };
  /** every /token request's form, for assertions */
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly grants = new Map<string, Grant>();
  private server!: Server;
  private key!: CryptoKey;
  private wrongKey!: CryptoKey;
  private jwk!: JWK;
  issuer = '';

  private constructor(
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly now: () => number,
  ) {}

  static async start(o: {
    clientId: string;
    clientSecret: string;
    now: () => number;
  }): Promise<TestOidcProvider> {
    const p = new TestOidcProvider(o.clientId, o.clientSecret, o.now);
    const pair = await generateKeyPair('RS256');
    p.key = pair.privateKey;
    p.wrongKey = (await generateKeyPair('RS256')).privateKey;
    p.jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    p.server = createServer((req, res) => {
      p.handle(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.issuer = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`;
    return p;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          jwks_uri: `${this.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
        });
      case '/jwks':
        return json(200, { keys: [this.jwk] });
      case '/authorize': {
        const q = url.searchParams;
        if (q.get('response_type') !== 'code' || q.get('client_id') !== this.clientId) {
          return json(400, { error: 'invalid_request' });
        }
        if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('nonce')) {
          return json(400, { error: 'invalid_request', error_description: 'PKCE and nonce required' });
        }
        const code = randomBytes(16).toString('base64url');
        this.grants.set(code, {
          clientId: q.get('client_id')!,
          redirectUri: q.get('redirect_uri')!,
          nonce: q.get('nonce')!,
          challenge: q.get('code_challenge')!,
          login: this.next,
        });
        const back = new URL(q.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: back.href }).end();
        return;
      }
      case '/token': {
        const form = new URLSearchParams(await readBody(req));
        this.tokenRequests.push(form);
        const basic = Buffer.from(
          (req.headers.authorization ?? '').replace(/^Basic /, ''),
          'base64',
        ).toString();
        const [id, secret] = basic.split(':').map((s) => decodeURIComponent(s));
        if (id !== this.clientId || secret !== this.clientSecret)
          return json(401, { error: 'invalid_client' });
        const grant = this.grants.get(form.get('code') ?? '');
        this.grants.delete(form.get('code') ?? '');
        if (!grant || grant.redirectUri !== form.get('redirect_uri'))
          return json(400, { error: 'invalid_grant' });
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
          return json(400, { error: 'invalid_grant', error_description: 'PKCE verifier does not match' });
        }
        const login = grant.login;
        const iat = Math.floor(this.now() / 1000);
        const token = await new SignJWT({ ...login.claims, nonce: login.nonce ?? grant.nonce })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(login.issuer ?? this.issuer)
          .setAudience(login.audience ?? grant.clientId)
          .setIssuedAt(iat)
          .setExpirationTime(iat + (login.expiresIn ?? 300))
          .sign(login.wrongKey ? this.wrongKey : this.key);
        return json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: token });
      }
      default:
        return json(404, { error: 'not_found' });
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
