import WebSocket from 'ws';

/** A logged-in user of the REST API, as a browser would be: session cookie plus CSRF token. */
export class ApiClient {
  private cookie = '';
  private csrf = '';
  user: { id: string; username: string; role: string; teamIds: string[] } | null = null;

  constructor(readonly baseUrl: string) {}

  static async login(baseUrl: string, username: string, password: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    const res = await fetch(`${baseUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: baseUrl },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
    const setCookie = res.headers.get('set-cookie') ?? '';
    client.cookie = setCookie.split(';')[0] ?? '';
    const body = (await res.json()) as { user: ApiClient['user']; csrfToken: string };
    client.csrf = body.csrfToken;
    client.user = body.user;
    return client;
  }

  /**
   * A staff member of `teamIds`, made by `admin` through the API (as an administrator would) and
   * logged in: username `staff-a` unless another is given, password `password-123`.
   */
  static async newStaff(admin: ApiClient, teamIds: string[], username = 'staff-a'): Promise<ApiClient> {
    await admin.ok('POST', '/api/users', {
      username,
      password: 'password-123',
      displayName: username,
      role: 'staff',
      teamIds,
    });
    return ApiClient.login(admin.baseUrl, username, 'password-123');
  }

  get sessionCookie(): string {
    return this.cookie;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        cookie: this.cookie,
        origin: this.baseUrl,
        'x-csrf-token': this.csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (e.g. metrics text)
    }
    return { status: res.status, body: parsed };
  }

  /** like request, but throws unless the status is 2xx */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body as T;
  }

  /** opens the live channel as this user; `since` resumes after that event */
  live(since?: number): LiveClient {
    return new LiveClient(this.baseUrl, this.cookie, since);
  }
}

export interface LiveMessage {
  type: string;
  seq?: number;
  event?: string;
  alert?: { id: string; homeId: string; rule: string; state: string; repeats: number; test?: boolean };
  /** on `platform` messages: why the platform is degraded (empty when healthy) */
  degraded?: string[];
  /** on `test_mode` messages: the home, and until when it is in test mode (null: it ended) */
  homeId?: string;
  until?: number | null;
}

/** Collects every message of the ws `/live` channel. */
export class LiveClient {
  readonly messages: LiveMessage[] = [];
  readonly socket: WebSocket;
  readonly opened: Promise<void>;

  constructor(baseUrl: string, cookie: string, since?: number) {
    const url = `${baseUrl.replace(/^http/, 'ws')}/live${since === undefined ? '' : `?since=${since}`}`;
    this.socket = new WebSocket(url, { headers: { cookie, origin: baseUrl } });
    this.socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as LiveMessage));
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`ws refused: ${res.statusCode}`)),
      );
    });
  }

  alerts(): LiveMessage[] {
    return this.messages.filter((m) => m.type === 'alert');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.terminate();
    });
  }
}
