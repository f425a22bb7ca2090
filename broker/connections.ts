import type { AuthenticateError, Client } from 'aedes';
import type { DeviceAccessEnd, PlatformBus } from '../services/events/index.ts';
import type { DeviceSecretCheck, Registry } from '../services/registry/index.ts';
import {
  type Clock,
  LogBudget,
  type Logger,
  type Metrics,
  REFUSAL_LINES_PER_WINDOW,
  REFUSAL_WINDOW_MS,
  type SecretCheck,
  systemClock,
} from '../services/runtime/index.ts';
import { type Identity, mayPublish } from './acl.ts';
import { AuthThrottle, type AuthThrottleOptions, sourceOf, type ThrottleVerdict } from './auth-throttle.ts';
import type { CertificateRefusal } from './listeners.ts';

/** Why the broker said no; the label of `tryghed_broker_refusals_total`. */
export type Refusal =
  | 'bad_credentials'
  | 'locked_out'
  | 'bad_client_id'
  | 'client_id_not_own'
  | 'publish_denied'
  | 'retained_reading'
  | 'payload_too_large'
  | 'subscribe_denied'
  | 'not_stored'
  | 'shared_state_down'
  | 'will_denied'
  | CertificateRefusal;

/** a client with what `DeviceConnections` keeps on it */
type Marked = Client & { [key: symbol]: Identity | number | undefined };

/** What a secret check found, for one connection. */
type CheckResult = { ok: true; identity: Identity } | { ok: false; cause: 'wrong' | 'other_key' };

const ALLOWED: ThrottleVerdict = { allowed: true };

const authError = (message: string, returnCode: 2 | 3 | 4 | 5): AuthenticateError =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError;

type Done = (error: AuthenticateError | null, success: boolean | null) => void;

export interface DeviceConnectionsOptions {
  registry: Registry;
  /** internal services: user name → keyed hash of their secret */
  serviceAccounts: Array<{ username: string; secretHash: string }>;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** `start()` listens here for `device/access-ended` */
  events: PlatformBus;
  authThrottle?: Partial<AuthThrottleOptions>;
}

/**
 * Wipes a device's secret from its CONNECT packet once it has been read. mqtt-packet keeps each
 * connection's CONNECT packet for as long as the connection lives (its parser's `settings`, for the
 * protocol version), so every connected device's secret would stay in memory, readable in any heap
 * or core dump, and its buffer would keep the whole first read of the socket alive (about 180 bytes
 * a connection). The bytes are zeroed in any case; the packet's reference is dropped when it is the
 * one aedes handed over (mqtt-packet 9's parser: `client._parser.settings`), else left alone.
 */
export function forgetSecret(client: Client, password: Buffer | undefined): void {
  if (!password) return;
  password.fill(0);
  const settings = (client as unknown as { _parser?: { settings?: { password?: Buffer } } })._parser
    ?.settings;
  if (settings?.password === password) settings.password = undefined;
}

/**
 * Who is connected as whom. Authenticates connections (secret, client id, throttling of wrong
 * secrets), keeps each client's identity, holds at most one live connection per device and closes
 * it when the device's credentials end (secret rotated, device removed or moved).
 *
 * The client id rule: a connection's client id is its user name, i.e. the device id (or the
 * service account's name). So a device can neither displace another device's connection nor
 * inherit its session, as aedes keys both by client id. An empty client id is accepted only with a
 * clean session (MQTT 3.1.1 [MQTT-3.1.3-6], [MQTT-3.1.3-8]); the connection is still the device's.
 */
export class DeviceConnections {
  /**
   * Who a client is, and when a device connection was accepted (the clock's ms: which of two is
   * the newer), kept on the client itself under keys of this instance's own: asked for every
   * packet, and set once per connect, where weak maps cost a hash look-up each and garbage
   * collection more work for every connection.
   */
  private readonly identityKey = Symbol('identity');
  private readonly boundAtKey = Symbol('bound at');
  /** the one live connection per device */
  private readonly byDevice = new Map<string, Client>();
  /** clients that sent an empty client id (aedes has given them a random one by now) */
  private readonly emptyIds = new WeakSet<Client>();
  /** the will each client's CONNECT carried, checked once we know who it is */
  private readonly wills = new WeakMap<Client, { topic: string; retain: boolean }>();
  /** clients whose credentials ended: nothing more of theirs is published, their will included */
  private readonly revoked = new WeakSet<Client>();
  /** clients already refused and logged: their close is not logged a second time */
  private readonly refused = new WeakSet<Client>();
  private readonly services: Map<string, string>;
  private readonly throttle: AuthThrottle;
  private readonly refusals;
  private readonly upgrades;
  private readonly closedOnAccessEnd;
  /** refusals logged one by one per reason; a flood of them is said in one line per window */
  private readonly refusalLines: LogBudget;
  private stopListening: (() => void) | undefined;

  constructor(private readonly o: DeviceConnectionsOptions) {
    this.services = new Map(o.serviceAccounts.map((a) => [a.username, a.secretHash]));
    this.throttle = new AuthThrottle(() => o.clock.now(), o.authThrottle);
    this.refusals = o.metrics.counter(
      'tryghed_broker_refusals_total',
      'Connections, publishes and subscriptions refused',
      ['reason'],
    );
    this.upgrades = o.metrics.counter(
      'tryghed_broker_secret_hash_upgrades_total',
      'Device secrets stored the old way (scrypt) re-hashed with the server key on connect',
    );
    this.refusalLines = new LogBudget({
      clock: o.clock,
      perWindow: REFUSAL_LINES_PER_WINDOW,
      windowMs: REFUSAL_WINDOW_MS,
      summary: (reason, notLogged, windowMs) =>
        o.logger.warn(
          { reason, notLogged, windowS: windowMs / 1000 },
          'broker refused more than was logged one by one',
        ),
    });
    this.closedOnAccessEnd = o.metrics.counter(
      'tryghed_broker_closed_credentials_ended_total',
      "Connections closed because the device's secret was rotated or it was removed or moved",
      ['reason'],
    );
  }

  /** Listens for credentials that end (secret rotated, device removed or moved) until `close()`. */
  start(): void {
    this.stopListening ??= this.o.events.on('device/access-ended', (end) => this.accessEnded(end));
  }

  /**
   * The device's credentials ended (secret rotated, device removed or moved), here or, in a
   * cluster, on another broker: its connection to this broker, if any, is closed at once.
   */
  accessEnded({ deviceId, reason }: DeviceAccessEnd): void {
    // a new secret starts with a clean slate: the device locked out for its old one gets in now
    if (reason === 'secret_rotated') this.throttle.forgetId(deviceId);
    const client = this.byDevice.get(deviceId);
    this.byDevice.delete(deviceId);
    if (!client || client.closed) return;
    this.revoked.add(client);
    this.closedOnAccessEnd.inc({ reason });
    this.o.logger.info({ deviceId, reason }, 'device connection closed: its credentials ended');
    client.close();
  }

  /**
   * In a cluster: the device connected to another broker. One live connection per device holds
   * across brokers: the one here is closed. aedes closes it itself when the client ids are equal
   * (its `$SYS/+/new/clients` notice); here only one with another (broker-given) client id is
   * closed, so aedes' own take-over is not raced.
   */
  connectedElsewhere(deviceId: string, clientId: string, at?: number): void {
    const client = this.byDevice.get(deviceId);
    if (!client || client.closed || client.id === clientId) return;
    // The notice may arrive after the device already connected here again (a quick switch
    // between brokers, two connections at once): the newer connection stays, whichever broker
    // has it, so two brokers never close both. Newer by connect time (each broker's own clock:
    // with skew between machines the older may be the one kept, but never neither), then by
    // client id, the same order on every broker. A notice without a time (an older release)
    // replaces as before.
    const here = this.connectedAt(client);
    if (at !== undefined && here !== undefined && (here > at || (here === at && client.id > clientId)))
      return;
    this.byDevice.delete(deviceId);
    this.o.logger.info({ deviceId }, 'a connection of the device to another broker replaces this one');
    client.close();
  }

  /**
   * Who each client is. A client whose credentials ended is closed at once, and `isRevoked` keeps
   * anything it still sends out; what it sent before (and was acknowledged) is still its own.
   */
  readonly identities = {
    get: (client: Client): Identity | undefined =>
      (client as Marked)[this.identityKey] as Identity | undefined,
  };

  /** when this device connection was accepted (the clock's ms), for the other brokers */
  connectedAt(client: Client): number | undefined {
    return (client as Marked)[this.boundAtKey] as number | undefined;
  }

  /** true once the client's credentials ended: refuse what it sends, quietly */
  isRevoked(client: Client): boolean {
    return this.revoked.has(client);
  }

  /** true when this client's error close is the end of a refusal already logged */
  wasRefused(client: Client): boolean {
    return this.refused.has(client) || this.revoked.has(client);
  }

  /**
   * Counts and logs (one line) a refusal, without secrets, payloads or addresses; beyond
   * REFUSAL_LINES_PER_WINDOW of one reason in a window, counted only and said in one summary line.
   */
  refuse(reason: Refusal, client: Client | null, extra: Record<string, unknown> = {}): void {
    this.refusals.inc({ reason });
    // every refusal but a subscription's closes the connection (a refused SUBSCRIBE gets 0x80)
    if (client && reason !== 'subscribe_denied') this.refused.add(client);
    if (!this.refusalLines.take(reason)) return;
    const identity = client ? this.identities.get(client) : undefined;
    const who =
      identity?.kind === 'device'
        ? { deviceId: identity.deviceId }
        : identity
          ? { service: identity.username }
          : {};
    this.o.logger.warn({ reason, ...who, ...extra }, 'broker refused');
  }

  /** aedes' preConnect hook: remembers an empty client id before aedes replaces it, and the will. */
  preConnect(client: Client, clientId: string, will?: { topic: string; retain?: boolean } | null): void {
    if (clientId === '') this.emptyIds.add(client);
    if (will) this.wills.set(client, { topic: will.topic, retain: Boolean(will.retain) });
  }

  /** aedes' authenticate hook. */
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: Done): void {
    const name = username ?? '';
    const secret = password?.toString('utf8') ?? '';
    // read once, as a string: the packet's copy goes now, whatever the answer
    forgetSecret(client, password);
    const early = this.refusedBeforeSecret(client, name, secret);
    if (early) {
      this.refuse(early.reason, client, early.extra);
      done(authError(early.message, early.code), false);
      return;
    }
    // The peer's address costs a system call; it is read only when the throttle remembers any
    // failure to check it against, and when this attempt fails (the socket is still open then: the
    // usual check answers in this same call, and a slow one has the address read before it starts).
    const verdict = this.throttle.watching()
      ? this.throttle.check(name, sourceOf(remoteAddress(client)))
      : ALLOWED;
    if (!verdict.allowed) {
      // counted every time, logged once per lock: a device retrying an old secret every second
      // must not fill the log
      if (verdict.first)
        this.refuse('locked_out', client, {
          ...this.knownDevice(name),
          lockedForS: this.secondsUntil(verdict.until),
        });
      else {
        this.refusals.inc({ reason: 'locked_out' });
        this.refused.add(client);
      }
      done(authError('too many wrong secrets: try again later', 5), false);
      return;
    }
    let checked: CheckResult | Promise<CheckResult>;
    try {
      checked = this.check(name, secret);
    } catch (err) {
      this.checkFailed(err, done);
      return;
    }
    if (checked instanceof Promise) {
      // read now (node keeps it): the device may hang up before the slow check answers
      remoteAddress(client);
      checked.then(
        (result) => this.checked(client, name, result, done),
        (err: unknown) => this.checkFailed(err, done),
      );
    } else this.checked(client, name, checked, done);
  }

  private checkFailed(err: unknown, done: Done): void {
    this.o.logger.error({ err }, 'checking a secret failed');
    done(authError('server unavailable', 5), false);
  }

  /** The secret was checked: a refusal (held back, counted by the throttle), or the connection is the device's. */
  private checked(client: Client, name: string, result: CheckResult, done: Done): void {
    if (!result.ok) {
      const delayMs = this.throttle.failed(name, sourceOf(remoteAddress(client)));
      this.refuse('bad_credentials', client, {
        ...this.knownDevice(name),
        ...(result.cause === 'other_key' ? { cause: 'stored_under_another_server_key' } : {}),
      });
      // held back, growing per failure; a timer per waiting connection, unref'd for shutdown. Real
      // time, not the injected clock: it paces a client on the wire (the lock-out is by the clock)
      systemClock.setTimeout(() => done(authError('bad user name or password', 4), false), delayMs).unref();
      return;
    }
    if (this.throttle.watching()) this.throttle.succeeded(name, sourceOf(remoteAddress(client)));
    // A will is published when the connection dies, by whichever broker of a cluster finds it
    // orphaned, with no connection left to check it against: so it is checked now, as any
    // publish of this identity would be, and a will it may not publish refuses the CONNECT.
    const will = this.wills.get(client);
    if (will && !mayPublish(result.identity, will.topic, will.retain, this.o.registry).ok) {
      this.refuse('will_denied', client, this.knownDevice(name));
      done(authError('not authorised to publish the will there', 5), false);
      return;
    }
    (client as Marked)[this.identityKey] = result.identity;
    // one that hung up while its secret was checked is not the device's connection: it must
    // not replace the connection the device has
    if (result.identity.kind === 'device' && !client.closed) this.bind(result.identity.deviceId, client);
    done(null, true);
  }

  /**
   * In a cluster whose Redis is down, a session cannot be made or restored: the connection is
   * refused at once with CONNACK 3 (server unavailable), so the device backs off and tries again
   * (another broker, perhaps) instead of waiting while its connection's work piles up here.
   * Counted, not logged one by one: the outage itself is logged once (`broker/cluster.ts`).
   */
  unavailable(client: Client, done: Done): void {
    this.refusals.inc({ reason: 'shared_state_down' });
    this.refused.add(client);
    done(authError('server unavailable: try again later', 3), false);
  }

  /** The checks that need no secret: credentials given, and the client id rule. */
  private refusedBeforeSecret(
    client: Client,
    name: string,
    secret: string,
  ): { reason: Refusal; code: 2 | 4; message: string; extra?: Record<string, unknown> } | null {
    const emptyId = this.emptyIds.has(client);
    if (!name || !secret) return { reason: 'bad_credentials', code: 4, message: 'bad user name or password' };
    if (emptyId && !client.clean)
      // [MQTT-3.1.3-8]: a zero-byte client id with CleanSession 0 gets 0x02 and the connection closes
      return {
        reason: 'bad_client_id',
        code: 2,
        message: 'an empty client id needs a clean session',
        extra: { cause: 'empty_id_with_session' },
      };
    if (emptyId) return null;
    if (/[#+/]/.test(client.id))
      return { reason: 'bad_client_id', code: 2, message: 'client id may not contain #, + or /' };
    // checked before the secret: costs nothing and says nothing about which ids exist
    if (client.id !== name)
      return {
        reason: 'client_id_not_own',
        code: 2,
        message: 'the client id must be the device id (the user name)',
      };
    return null;
  }

  /** aedes' clientDisconnect event. */
  disconnected(client: Client): void {
    const identity = this.identities.get(client);
    if (identity?.kind === 'device' && this.byDevice.get(identity.deviceId) === client)
      this.byDevice.delete(identity.deviceId);
  }

  close(): void {
    this.stopListening?.();
    this.stopListening = undefined;
    this.refusalLines.stop();
  }

  /**
   * One live connection per device: a new one replaces the old, as MQTT 3.1.1 does for one
   * client id ([MQTT-3.1.4-2]). aedes itself closes the old one when the ids are equal; here only
   * one that had an empty (broker-given) client id is closed, so aedes' own take-over is not raced.
   */
  private bind(deviceId: string, client: Client): void {
    const before = this.byDevice.get(deviceId);
    this.byDevice.set(deviceId, client);
    (client as Marked)[this.boundAtKey] = this.o.clock.now();
    if (!before || before === client || before.closed) return;
    this.o.logger.info({ deviceId }, 'a new connection of the device replaces its old one');
    if (before.id !== client.id) before.close();
  }

  /**
   * Checks the secret: at once for a keyed hash (the usual case, no promise), by a promise for an
   * old scrypt hash (which is then upgraded).
   */
  private check(name: string, secret: string): CheckResult | Promise<CheckResult> {
    const serviceHash = this.o.registry.device(name) ? undefined : this.services.get(name);
    if (serviceHash !== undefined) {
      const now = this.o.registry.checkServiceSecretNow(secret, serviceHash);
      return now === null
        ? this.o.registry.checkServiceSecret(secret, serviceHash).then((c) => this.serviceChecked(name, c))
        : this.serviceChecked(name, now);
    }
    const now = this.o.registry.checkDeviceSecretNow(name, secret);
    return now === null
      ? this.o.registry.checkDeviceSecret(name, secret).then((c) => this.deviceChecked(c))
      : this.deviceChecked(now);
  }

  private serviceChecked(name: string, check: SecretCheck): CheckResult {
    if (check === 'match' || check === 'match_legacy')
      return { ok: true, identity: { kind: 'service', username: name } };
    return { ok: false, cause: check === 'other_key' ? 'other_key' : 'wrong' };
  }

  private deviceChecked(check: DeviceSecretCheck): CheckResult {
    if (!check.ok) return { ok: false, cause: check.reason === 'other_key' ? 'other_key' : 'wrong' };
    if (check.upgraded) this.upgrades.inc();
    const d = check.device;
    return { ok: true, identity: { kind: 'device', deviceId: d.id, homeId: d.homeId, role: d.role } };
  }

  /** the device id for the log line, only when it is one of ours (never a typed-in guess) */
  private knownDevice(name: string): { deviceId?: string } {
    return this.o.registry.device(name) ? { deviceId: name } : {};
  }

  private secondsUntil(t: number): number {
    return Math.ceil((t - this.o.clock.now()) / 1000);
  }
}

/**
 * The peer's address: the socket's (a WebSocket's request socket). Never a forwarded header, which
 * the peer could write itself.
 */
function remoteAddress(client: Client): string | undefined {
  const conn = client.conn as unknown as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress;
}
