import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ReadingCategory, WireReading } from '../services/domain/index.ts';

/**
 * What waits to leave the home. Only readings today; the type column leaves room for other
 * messages without a new file format (device status is not queued: only its latest value matters,
 * and the gateway republishes it on every connect).
 */
export interface OutboxRow {
  id: number;
  type: 'reading' | 'status';
  topic: string;
  deviceId: string;
  /** the reading's category (consent is checked again when it is sent); null for a status */
  category: ReadingCategory | null;
  payload: string;
  alarm: boolean;
}

export interface OutboxLimits {
  /** most rows held; beyond it the oldest routine rows are dropped */
  maxRows: number;
  /** most payload bytes held; the same rule */
  maxBytes: number;
}

/** How many rows a full outbox dropped to take a new one in. */
export interface Dropped {
  routine: number;
  alarm: number;
}

interface RawRow {
  id: number;
  type: 'reading' | 'status';
  topic: string;
  device_id: string;
  category: string | null;
  payload: string;
  alarm: number;
}

const SCHEMA_VERSION = 1;

/**
 * The gateway's durable outbox: readings are committed to SQLite (better-sqlite3) before the
 * local broker gets its PUBACK, and removed only after the platform's PUBACK.
 *
 * Durability: WAL with `synchronous = FULL`, so a commit is on the storage medium when it returns,
 * a power cut included (with NORMAL, WAL survives a crash of the process but may lose the last
 * commits on a power cut, which is exactly what a home hub on a wall socket must expect). The cost
 * is one fsync per local message, a few ms on an SD card, for a home that sends a few per minute.
 *
 * Bounded by rows and bytes: when full, the oldest routine rows go first; an alarm is dropped only
 * when nothing routine is left, and every drop is reported to the caller, who counts and logs it.
 */
export class Outbox {
  private readonly db: Database.Database;
  private rows = 0;
  private bytes = 0;
  private readonly stmt;

  private constructor(
    path: string,
    private readonly limits: OutboxLimits,
  ) {
    // readings about a person's home: readable by the gateway's user only
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    if (path !== ':memory:') chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`the outbox at ${path} was written by a newer gateway (schema ${version})`);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL CHECK (type IN ('reading', 'status')),
        topic TEXT NOT NULL,
        device_id TEXT NOT NULL,
        category TEXT,
        payload TEXT NOT NULL,
        alarm INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        queued_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS outbox_by_alarm ON outbox (alarm, id);
      CREATE INDEX IF NOT EXISTS outbox_by_device ON outbox (device_id, id);
      CREATE TABLE IF NOT EXISTS sequences (device_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.stmt = {
      insert: this.db.prepare(
        'INSERT INTO outbox (type, topic, device_id, category, payload, alarm, bytes, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      oldestRoutine: this.db.prepare('SELECT id, bytes FROM outbox WHERE alarm = 0 ORDER BY id LIMIT 1'),
      oldestAlarm: this.db.prepare('SELECT id, bytes FROM outbox WHERE alarm = 1 ORDER BY id LIMIT 1'),
      deleteOne: this.db.prepare('DELETE FROM outbox WHERE id = ?'),
      firstAlarm: this.db.prepare('SELECT * FROM outbox WHERE alarm = 1 ORDER BY id LIMIT 1'),
      firstRoutine: this.db.prepare('SELECT * FROM outbox WHERE alarm = 0 ORDER BY id LIMIT ?'),
      olderOfDevice: this.db.prepare(
        'SELECT * FROM outbox WHERE device_id = ? AND id < ? ORDER BY id LIMIT ?',
      ),
      firstTechnical: this.db.prepare(
        "SELECT * FROM outbox WHERE category = 'technical' ORDER BY id LIMIT ?",
      ),
      bytesOf: this.db.prepare('SELECT bytes FROM outbox WHERE id = ?'),
      seqGet: this.db.prepare('SELECT seq FROM sequences WHERE device_id = ?'),
      seqSet: this.db.prepare(
        'INSERT INTO sequences (device_id, seq) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq',
      ),
      kvGet: this.db.prepare('SELECT value FROM kv WHERE key = ?'),
      kvSet: this.db.prepare(
        'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      kvPrefix: this.db.prepare('SELECT key, value FROM kv WHERE key >= ? AND key < ?'),
    };
    const totals = this.db
      .prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM outbox')
      .get() as {
      n: number;
      b: number;
    };
    this.rows = totals.n;
    this.bytes = totals.b;
  }

  /** opens (or creates) the outbox file; `:memory:` for a gateway that needs no durability (tests, simulator) */
  static open(path: string, limits: OutboxLimits): Outbox {
    return new Outbox(path, limits);
  }

  get size(): number {
    return this.rows;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** runs `fn` in one transaction: all of it is on disk when this returns, or none of it */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** the next sequence number for a device, persisted (call inside the transaction that queues the reading) */
  nextSeq(deviceId: string): number {
    const row = this.stmt.seqGet.get(deviceId) as { seq: number } | undefined;
    const seq = (row?.seq ?? 0) + 1;
    this.stmt.seqSet.run(deviceId, seq);
    return seq;
  }

  addReading(
    o: { topic: string; deviceId: string; category: ReadingCategory; reading: WireReading; alarm: boolean },
    now: number,
  ): Dropped {
    return this.add('reading', o.topic, o.deviceId, o.category, JSON.stringify(o.reading), o.alarm, now);
  }

  /**
   * What to send next: the oldest alarm (after any earlier readings of its own device), or else up
   * to `max` of the oldest routine rows that are readings of one device and one category (one MQTT
   * message). Alarms never wait behind other devices' backlog; each device's readings stay in order.
   * `technicalOnly`: only technical readings (while the consent scope is not known).
   */
  next(max: number, technicalOnly = false): OutboxRow[] {
    const alarm = technicalOnly ? undefined : (this.stmt.firstAlarm.get() as RawRow | undefined);
    if (alarm) {
      // ahead of other devices' backlog, never ahead of its own device's earlier readings
      // (a CO level of 0 arriving after the 85 ppm that followed it would say the air is clear)
      const older = (this.stmt.olderOfDevice.all(alarm.device_id, alarm.id, max) as RawRow[]).map(toRow);
      return older.length > 0 ? run(older) : [toRow(alarm)];
    }
    const rows = (
      (technicalOnly ? this.stmt.firstTechnical : this.stmt.firstRoutine).all(max) as RawRow[]
    ).map(toRow);
    return run(rows);
  }

  /** removes rows once the platform acknowledged them (or they may not leave the home) */
  remove(ids: number[]): void {
    this.transaction(() => {
      for (const id of ids) {
        const row = this.stmt.bytesOf.get(id) as { bytes: number } | undefined;
        if (!row) continue;
        this.stmt.deleteOne.run(id);
        this.rows--;
        this.bytes -= row.bytes;
      }
    });
  }

  getValue(key: string): string | undefined {
    return (this.stmt.kvGet.get(key) as { value: string } | undefined)?.value;
  }

  setValue(key: string, value: string): void {
    this.stmt.kvSet.run(key, value);
  }

  /** every key/value whose key starts with `prefix` */
  values(prefix: string): Array<{ key: string; value: string }> {
    return this.stmt.kvPrefix.all(prefix, `${prefix}\uffff`) as Array<{ key: string; value: string }>;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private add(
    type: 'reading' | 'status',
    topic: string,
    deviceId: string,
    category: ReadingCategory | null,
    payload: string,
    alarm: boolean,
    now: number,
  ): Dropped {
    const bytes = Buffer.byteLength(payload) + Buffer.byteLength(topic);
    this.stmt.insert.run(type, topic, deviceId, category, payload, alarm ? 1 : 0, bytes, now);
    this.rows++;
    this.bytes += bytes;
    const dropped: Dropped = { routine: 0, alarm: 0 };
    // Oldest routine first, even if that is the row just added (every other row is an alarm then).
    while ((this.rows > this.limits.maxRows || this.bytes > this.limits.maxBytes) && this.rows > 1) {
      const routine = this.stmt.oldestRoutine.get() as { id: number; bytes: number } | undefined;
      const victim = routine ?? (this.stmt.oldestAlarm.get() as { id: number; bytes: number } | undefined);
      if (!victim) break;
      this.stmt.deleteOne.run(victim.id);
      this.rows--;
      this.bytes -= victim.bytes;
      if (routine) dropped.routine++;
      else dropped.alarm++;
    }
    return dropped;
  }
}

/** the leading rows that go as one message: one device and one category (consent is judged per message) */
function run(rows: OutboxRow[]): OutboxRow[] {
  const first = rows[0];
  if (!first) return [];
  if (first.type === 'status') return [first];
  const batch: OutboxRow[] = [];
  for (const row of rows) {
    if (row.type !== 'reading' || row.topic !== first.topic || row.category !== first.category) break;
    batch.push(row);
  }
  return batch;
}

function toRow(r: RawRow): OutboxRow {
  return {
    id: r.id,
    type: r.type,
    topic: r.topic,
    deviceId: r.device_id,
    category: r.category as ReadingCategory | null,
    payload: r.payload,
    alarm: r.alarm === 1,
  };
}
