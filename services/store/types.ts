import type {
  Alert,
  AlertEvent,
  AlertState,
  AuditEntry,
  ConsentEvent,
  Device,
  DeviceId,
  ErasureRequest,
  Home,
  HomeId,
  NightRoundLatest,
  NightRoundLook,
  NightRoundTimes,
  NotificationAttempt,
  PowerOfAttorney,
  ResponderCard,
  SensorKind,
  Team,
  User,
} from '../domain/index.ts';

/**
 * The entity types live in `services/domain`; they are re-exported here only while the store's
 * own files (and the migration work on them) still import them from here. Nothing outside
 * `services/store` imports them from the store (test/arrows.test.ts checks it).
 */
export type {
  AuditEntry,
  Device,
  DeviceRole,
  ErasureRequest,
  Home,
  Team,
  User,
  UserRole,
} from '../domain/index.ts';
export { USER_ROLES } from '../domain/index.ts';

export interface HomeRepository {
  create(
    home: Omit<Home, 'createdAt' | 'testUntil'> & { createdAt?: number; testUntil?: number | null },
  ): Promise<Home>;
  get(id: HomeId): Promise<Home | null>;
  list(filter?: { teamIds?: string[] }): Promise<Home[]>;
  update(
    id: HomeId,
    patch: Partial<Pick<Home, 'label' | 'teamId' | 'timezone' | 'settings' | 'test' | 'testUntil'>>,
  ): Promise<Home>;
}

export interface DeviceRepository {
  create(
    device: Omit<Device, 'createdAt' | 'reportIntervalS' | 'testUntil'> & {
      createdAt?: number;
      reportIntervalS?: number;
      testUntil?: number | null;
    },
  ): Promise<Device>;
  /** Creates all or none, in one transaction. */
  createMany(
    devices: ReadonlyArray<
      Omit<Device, 'createdAt' | 'reportIntervalS' | 'testUntil'> & {
        createdAt?: number;
        reportIntervalS?: number;
      }
    >,
  ): Promise<Device[]>;
  get(id: DeviceId): Promise<Device | null>;
  listByHome(homeId: HomeId): Promise<Device[]>;
  listAll(): Promise<Device[]>;
  setSecretHash(id: DeviceId, secretHash: string): Promise<void>;
  /** sets the hash only if it is still `expected` (a rotation in between wins); true if set */
  replaceSecretHash(id: DeviceId, expected: string, secretHash: string): Promise<boolean>;
  /** moves a device to another home */
  setHome(id: DeviceId, homeId: HomeId): Promise<void>;
  remove(id: DeviceId): Promise<void>;
  update(
    id: DeviceId,
    patch: Partial<Pick<Device, 'test' | 'testUntil' | 'reportIntervalS'>>,
  ): Promise<Device>;
}

export interface UserRepository {
  create(
    user: Omit<User, 'createdAt' | 'mustChangePassword'> & {
      createdAt?: number;
      mustChangePassword?: boolean;
    },
  ): Promise<User>;
  get(id: string): Promise<User | null>;
  byUsername(username: string): Promise<User | null>;
  list(): Promise<User[]>;
  /** changes what is given; `teamIds` replaces the memberships; throws when there is no such user */
  update(
    id: string,
    patch: Partial<
      Pick<User, 'displayName' | 'role' | 'homeId' | 'teamIds' | 'passwordHash' | 'mustChangePassword'>
    >,
  ): Promise<User>;
}

export interface TeamRepository {
  create(team: Team): Promise<Team>;
  get(id: string): Promise<Team | null>;
  list(): Promise<Team[]>;
  /** throws when there is no such team */
  rename(id: string, name: string): Promise<Team>;
}

export interface ConsentEventRepository {
  append(event: Omit<ConsentEvent, 'id'>): Promise<ConsentEvent>;
  listByHome(homeId: HomeId): Promise<ConsentEvent[]>;
  /** every event, in order; used once at start to build the in-memory scope */
  listAll(): Promise<ConsentEvent[]>;
}

export interface AlertRepository {
  /** inserts and records an `opened` event, in one transaction */
  open(alert: Alert): Promise<AlertEvent>;
  /**
   * saves the alert and records the event, in one transaction; with a fence, refused with a
   * conflict (reason `lease_lost`) unless the lease is still held at its epoch
   */
  update(alert: Alert, type: AlertEvent['type'], fence?: LeaseFence): Promise<AlertEvent>;
  get(id: string): Promise<Alert | null>;
  /** the open or acknowledged alert of a home for a rule, if any */
  findActive(homeId: HomeId, rule: string): Promise<Alert | null>;
  list(filter?: { homeIds?: string[]; states?: AlertState[]; limit?: number }): Promise<Alert[]>;
  /** events after `seq`, oldest first, for a dashboard resuming its live feed */
  eventsSince(seq: number, filter?: { homeIds?: string[]; limit?: number }): Promise<AlertEvent[]>;
  lastEventSeq(): Promise<number>;
  /** alerts opened in [from, to), for statistics; test alerts left out unless asked for */
  openedBetween(from: number, to: number, options?: { includeTest?: boolean }): Promise<Alert[]>;
  /** resolved alerts, most recently resolved first, one page at a time (issue 11: a list of resolved alerts) */
  listResolved(filter: ResolvedAlertFilter): Promise<Alert[]>;
  /** one home's care alerts, newest first, one page at a time (the home's alert history) */
  listCareOfHome(filter: HomeAlertFilter): Promise<Alert[]>;
}

export interface HomeAlertFilter {
  homeId: string;
  /** test alerts too (administrators); care staff, citizens and relatives never see them */
  includeTest: boolean;
  /** the last alert of the previous page: its openedAt and id */
  before?: { openedAt: number; id: string };
  limit: number;
}

/** A page of resolved alerts: resolved at or after `since`, strictly before the `before` cursor. */
export interface ResolvedAlertFilter {
  homeIds?: string[];
  since: number;
  /** the last alert of the previous page: its resolvedAt and id */
  before?: { resolvedAt: number; id: string };
  /** `care`: care alerts that are not tests; `technical`: technical alerts and test alerts; absent: all */
  audience?: 'care' | 'technical';
  limit: number;
}

export interface PowerOfAttorneyRepository {
  add(p: Omit<PowerOfAttorney, 'id' | 'revokedAt' | 'revokedBy'>): Promise<PowerOfAttorney>;
  /** false when there was no active power of attorney with that id */
  revoke(id: number, by: string, at: number): Promise<boolean>;
  listByHome(homeId: HomeId): Promise<PowerOfAttorney[]>;
  activeForRelative(userId: string): Promise<PowerOfAttorney[]>;
}

export interface NotificationRepository {
  record(n: Omit<NotificationAttempt, 'id'>): Promise<NotificationAttempt>;
  listByAlert(alertId: string): Promise<NotificationAttempt[]>;
}

export interface AuditRepository {
  append(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  listByHome(homeId: string, limit?: number): Promise<AuditEntry[]>;
}

export interface ErasureRequestRepository {
  /** records a request once it has been carried out (append-only) */
  record(request: Omit<ErasureRequest, 'id'>): Promise<ErasureRequest>;
  listByHome(homeId: string): Promise<ErasureRequest[]>;
  /** every home's requests asked for at or after `requestedFrom` (epoch ms), oldest first */
  listSince(requestedFrom: number): Promise<ErasureRequest[]>;
}

/** A dashboard session as stored: the cookie's random id only as its SHA-256 (hex). */
export interface StoredSession {
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionRepository {
  create(session: StoredSession): Promise<void>;
  get(idHash: string): Promise<StoredSession | null>;
  /** moves `lastSeenAt` forward, never back */
  touch(idHash: string, lastSeenAt: number): Promise<void>;
  /** false when there was no such session */
  delete(idHash: string): Promise<boolean>;
  /** deletes every session last seen before `idleBefore` or created before `createdBefore`; their id hashes */
  deleteExpired(idleBefore: number, createdBefore: number): Promise<string[]>;
  /** deletes every session of a user (a password reset); their id hashes */
  deleteOfUser(userId: string): Promise<string[]>;
}

/** Failed logins of one key (an account, or a source address) and the lock they led to. */
export interface LoginLimitState {
  failures: number;
  lockLevel: number;
  /** epoch ms; 0 when never locked */
  lockedUntil: number;
  lastFailureAt: number;
}

/**
 * Keys are kept only as an HMAC with a random per-database key: no source address, and nothing a
 * person typed as a username (sometimes their password), is stored.
 */
export interface LoginLimitRepository {
  get(key: string): Promise<LoginLimitState | null>;
  /** reads, changes and writes one key's state in one transaction; `null` from `change` forgets the key */
  update(
    key: string,
    change: (current: LoginLimitState | null) => LoginLimitState | null,
  ): Promise<LoginLimitState | null>;
  delete(key: string): Promise<void>;
  /** forgets every key whose last failure and lock both ended before `before`; how many */
  sweep(before: number): Promise<number>;
}

/** Responder's cards, one per home (personal data: never leaves this store but through the API). */
export interface ResponderCardRepository {
  get(homeId: HomeId): Promise<ResponderCard | null>;
  /**
   * creates or replaces the home's card; with `expectedUpdatedAt` (null: no card yet) only if the
   * stored card is still that one, else null and nothing is written (checked and written in one transaction)
   */
  save(card: ResponderCard, expectedUpdatedAt?: number | null): Promise<ResponderCard | null>;
  /** removes phone numbers, contacts, key box and notes, keeps the address; false when there is no card */
  eraseDetails(homeId: HomeId, at: number): Promise<boolean>;
}

/** One piece of a rule's state: what the rule is in the middle of for one device or home. */
export interface RuleStateRow {
  rule: string;
  /** a device id or a home id, as the rule keys its state */
  key: string;
  homeId: HomeId;
  /** the rule's own JSON */
  state: string;
  updatedAt: number;
}

/**
 * A write of rule state from the process that owns the homes' shards: a row naming a `shard` is
 * written only while that shard's lease is still `owner`'s at `epochs`' epoch (checked in the same
 * transaction, the lease rows locked against a takeover meanwhile), so a process that lost a shard
 * (paused, then woken) cannot overwrite what the new owner keeps.
 */
export interface RuleStateFence {
  owner: string;
  /** shard → the epoch this process holds it at */
  epochs: ReadonlyMap<number, number>;
}

/** Rule state, kept so a restart carries on (owned by `services/rules`). */
export interface RuleStateRepository {
  /** every row, in pages of `pageSize` (keyed order), for loading at start */
  all(pageSize?: number): AsyncIterable<RuleStateRow[]>;
  /** the rows of these homes (a shard's homes, when it is taken over) */
  ofHomes(homeIds: readonly HomeId[]): Promise<RuleStateRow[]>;
  /**
   * writes the changed rows and removes the ended ones, in one transaction; with a fence, rows
   * whose shard is no longer held at its epoch are left alone. Returns how many were left alone.
   */
  save(
    put: Array<RuleStateRow & { shard?: number }>,
    remove: Array<{ rule: string; key: string; shard?: number }>,
    fence?: RuleStateFence,
  ): Promise<number>;
  /** removes every row of the home, whatever its rule (an erasure request) */
  removeHome(homeId: string): Promise<void>;
}

/**
 * A write for a home made only while this process still holds the home's shard at this epoch
 * (`services/ownership`): checked in the write's own transaction, the lease row locked against a
 * takeover meanwhile, so a process that lost the lease (paused, then woken) cannot move the home's
 * escalation after the new owner took it over.
 */
export interface LeaseFence {
  owner: string;
  shard: number;
  /** the epoch this process holds the shard at (-1 when it does not hold it) */
  epoch: number;
}

/** When an alert next escalates (owned by `services/escalation`). */
export interface EscalationDeadline {
  alertId: string;
  dueAt: number;
  level: number;
  reminders: number;
  updatedAt: number;
}

export interface EscalationDeadlineRepository {
  all(): Promise<EscalationDeadline[]>;
  /** written (true), or refused by the fence (false): the lease was lost */
  put(deadline: EscalationDeadline, fence?: LeaseFence): Promise<boolean>;
  delete(alertId: string): Promise<void>;
}

/** The resend filter's window of one device (owned by `services/ingest`). */
export interface ResendWindowRow {
  deviceId: DeviceId;
  /** base64 of the filter's slot */
  state: string;
  heardAt: number;
}

export interface ResendWindowRepository {
  /** the windows of devices heard at or after `since` */
  heardSince(since: number): Promise<ResendWindowRow[]>;
  /** writes the changed windows and forgets those heard before `forgetBefore`, in one transaction */
  save(put: ResendWindowRow[], forgetBefore: number): Promise<void>;
}

/** The night round's times, looks, escalations and latest states (services/night-round owns them). */
export interface NightRoundRepository {
  allTimes(): Promise<NightRoundTimes[]>;
  /** creates or replaces a home's round times */
  setTimes(times: NightRoundTimes): Promise<void>;
  addLook(look: Omit<NightRoundLook, 'id'>): Promise<NightRoundLook>;
  /** the looks at rounds from `roundAtFrom` on, oldest first */
  looksSince(roundAtFrom: number): Promise<NightRoundLook[]>;
  /** true when this call recorded the escalation; false when it was recorded before (by anyone) */
  markEscalated(homeId: HomeId, roundAt: number, at: number): Promise<boolean>;
  escalationsSince(
    roundAtFrom: number,
  ): Promise<Array<{ homeId: HomeId; roundAt: number; escalatedAt: number }>>;
  saveLatest(latest: NightRoundLatest): Promise<void>;
  allLatest(): Promise<NightRoundLatest[]>;
  forgetLatest(homeId: HomeId, kinds: readonly SensorKind[]): Promise<void>;
}

/** A process that may own shards of homes, alive while its `beat` keeps changing. */
export interface LeaseMember {
  owner: string;
  beat: number;
  /** the member's own clock at its last beat (a watermark for whoever takes its shards over) */
  at: number;
}

/** Who owns one shard of homes' rules and escalation; `owner` '' when released. */
export interface ShardLease {
  shard: number;
  owner: string;
  epoch: number;
  /** the releasing owner's clock when it let the shard go */
  releasedAt: number | null;
}

/** Shard leases and their members (owned by `services/ownership`). Every change is a compare-and-set. */
export interface RuleLeaseRepository {
  view(): Promise<{ members: LeaseMember[]; shards: ShardLease[] }>;
  join(owner: string, at: number): Promise<void>;
  /** beat+1 if the member is still at `beat`; false when it was evicted meanwhile */
  beat(owner: string, beat: number, at: number): Promise<boolean>;
  /** removes a member seen dead, only if it is still at `beat` (it did not beat meanwhile) */
  evict(owner: string, beat: number): Promise<boolean>;
  /**
   * takes a shard: a new row (`from` null) or one still held by `from` at its epoch; the new epoch
   * (one more), or null when someone else was quicker
   */
  claim(shard: number, owner: string, from: { owner: string; epoch: number } | null): Promise<number | null>;
  /** lets shards go (owner ''), each only if still held at its epoch */
  release(owner: string, shards: ReadonlyArray<{ shard: number; epoch: number }>, at: number): Promise<void>;
  /** removes the member's row */
  leave(owner: string): Promise<void>;
}

/** how a SQLite file's write-ahead log stands */
export interface SqliteLogStatus {
  /** the log file's size now */
  walBytes: number;
  /** checkpoints that copied something, and attempts that failed (busy: tried again) */
  checkpoints: number;
  failures: number;
  /** the checkpoint worker stopped: commits checkpoint on the main thread again (SQLite's default) */
  fellBack: boolean;
}

export interface Store {
  /** which engine holds the data: the embedded SQLite file, or PostgreSQL (`DATABASE_URL`) */
  readonly kind: 'sqlite' | 'postgres';
  readonly homes: HomeRepository;
  readonly devices: DeviceRepository;
  readonly users: UserRepository;
  readonly teams: TeamRepository;
  readonly consent: ConsentEventRepository;
  readonly alerts: AlertRepository;
  readonly audit: AuditRepository;
  readonly powersOfAttorney: PowerOfAttorneyRepository;
  readonly notifications: NotificationRepository;
  readonly erasures: ErasureRequestRepository;
  readonly sessions: SessionRepository;
  readonly loginLimits: LoginLimitRepository;
  readonly responderCards: ResponderCardRepository;
  readonly ruleState: RuleStateRepository;
  readonly escalationDeadlines: EscalationDeadlineRepository;
  readonly resendWindows: ResendWindowRepository;
  readonly ruleLeases: RuleLeaseRepository;
  readonly noticeOutbox: NoticeOutboxRepository;
  readonly nightRound: NightRoundRepository;
  /**
   * A SQLite file's write-ahead log and its checkpoints (`checkpointer.ts`), for the operator's
   * metrics; absent for PostgreSQL and an in-memory store.
   */
  readonly sqliteLog?: () => SqliteLogStatus;
  /** a cheap query, for /readyz */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Where a notice in the outbox is: waiting (or being retried), delivered, given up, or no longer needed. */
export type OutboxState = 'pending' | 'delivered' | 'given_up' | 'cancelled';

/** One notice to someone outside the dashboard, kept until delivered or given up (owned by `services/outbox`). */
export interface OutboxRow {
  id: string;
  /** one per notice: a second enqueue with it changes nothing, and receivers get it as `Idempotency-Key` */
  idempotencyKey: string;
  /** the registered channel that sends it (`webhook:fallback`, `sms:vagt`, `care-record`, …) */
  channel: string;
  alertId: string | null;
  homeId: string | null;
  /** JSON text, exactly what the channel's sender gets */
  payload: string;
  state: OutboxState;
  /** tries so far */
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  deliveredAt: number | null;
  /** when it was delivered, given up or cancelled */
  settledAt: number | null;
  /** a short code (`HTTP 503`, `ECONNREFUSED`, `no_channel`), never a message that could carry data */
  lastError: string | null;
  claimedBy: string | null;
  claimedUntil: number | null;
}

export interface NoticeOutboxRepository {
  /** adds a pending notice, due at once; false (and nothing changed) when its key is already there */
  enqueue(row: {
    id: string;
    idempotencyKey: string;
    channel: string;
    alertId: string | null;
    homeId: string | null;
    payload: string;
    createdAt: number;
  }): Promise<boolean>;
  /**
   * Claims up to `limit` pending rows due at `now` that nobody holds (or whose hold ran out), for
   * `owner` until `until`, each by a conditional update, so two processes never hold one row at once.
   */
  claim(owner: string, now: number, until: number, limit: number): Promise<OutboxRow[]>;
  /** the outcome of a try by the row's holder; false when `owner` no longer holds it */
  delivered(id: string, owner: string, at: number, attempts: number): Promise<boolean>;
  retryAt(
    id: string,
    owner: string,
    attempts: number,
    nextAttemptAt: number,
    error: string,
  ): Promise<boolean>;
  giveUp(id: string, owner: string, at: number, attempts: number, error: string): Promise<boolean>;
  /** pending notices of an alert on `channels` that no longer need sending (it was taken on); how many */
  cancelForAlert(alertId: string, channels: readonly string[], at: number, reason: string): Promise<number>;
  /**
   * Notices not delivered: given up, or pending and created at or before `pendingBefore`; created (or
   * given up) at or after `since`, newest first; only of `homeIds` when given (null: every home).
   */
  undelivered(filter: {
    since: number;
    pendingBefore: number;
    homeIds: string[] | null;
    alertId?: string;
    limit: number;
  }): Promise<OutboxRow[]>;
  byKey(idempotencyKey: string): Promise<OutboxRow | null>;
  /** pending rows and when the oldest was created, for /metrics */
  pendingStats(): Promise<{ pending: number; oldestCreatedAt: number | null }>;
}
