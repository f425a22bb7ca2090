import { sql } from 'kysely';
import { type Clock, systemClock } from '../runtime/index.ts';
import { loginLimits, sessions } from './access.ts';
import { erasures } from './erasures.ts';
import { ruleLeases } from './leases.ts';
import { nightRound } from './night-round.ts';
import { closeDatabase, type OpenedDatabase, openDatabase, type StoreLocation } from './open.ts';
import { noticeOutbox } from './outbox.ts';
import { devices, homes, teams, users } from './people.ts';
import { alerts, audit, consent, notifications, powersOfAttorney } from './records.ts';
import { responderCards } from './responder-cards.ts';
import { escalationDeadlines, resendWindows, ruleState } from './runtime-state.ts';
import type { Store } from './types.ts';

export { type CopyReport, copyStore } from './copy.ts';
export type { StoreLocation } from './open.ts';
export { SCHEMA_VERSION } from './schema.ts';
export * from './types.ts';

/**
 * Opens the relational store: PostgreSQL when given a URL (`DATABASE_URL`), else a SQLite file
 * (`:memory:` for a throwaway one). The same repositories and migrations run on both.
 */
export async function openStore(location: StoreLocation, options: { clock?: Clock } = {}): Promise<Store> {
  return storeOn(await openDatabase(location), options.clock ?? systemClock);
}

/** `clock` stamps what the store times itself: an alert event's `at`, a missing `createdAt` */
async function storeOn(opened: OpenedDatabase, clock: Clock): Promise<Store> {
  const { db, engine } = opened;
  let closed = false;
  return {
    kind: engine,
    homes: homes(db, clock),
    devices: devices(db, clock),
    users: users(db, clock),
    teams: teams(db),
    consent: consent(db),
    alerts: alerts(db, engine, clock),
    audit: audit(db),
    powersOfAttorney: powersOfAttorney(db),
    notifications: notifications(db),
    erasures: erasures(db),
    sessions: sessions(db),
    loginLimits: await loginLimits(db, engine),
    responderCards: responderCards(db),
    ruleState: ruleState(db, engine),
    escalationDeadlines: escalationDeadlines(db, engine),
    resendWindows: resendWindows(db),
    ruleLeases: ruleLeases(db),
    noticeOutbox: noticeOutbox(db),
    nightRound: nightRound(db),
    ...(opened.checkpointer
      ? {
          sqliteLog: () => {
            const { walBytes, checkpoints, failures, fellBack } = opened.checkpointer!.status();
            return { walBytes, checkpoints, failures, fellBack };
          },
        }
      : {}),
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeDatabase(opened);
    },
  };
}
