import { sqliteLoginLimits, sqliteSessions } from './sqlite-access.ts';
import { sqliteErasures } from './sqlite-erasures.ts';
import { openSqlite } from './sqlite-open.ts';
import { sqliteDevices, sqliteHomes, sqliteTeams, sqliteUsers } from './sqlite-people.ts';
import {
  sqliteAlerts,
  sqliteAudit,
  sqliteConsent,
  sqliteNotifications,
  sqlitePowersOfAttorney,
} from './sqlite-records.ts';
import { sqliteResponderCards } from './sqlite-responder-cards.ts';
import type { Store } from './types.ts';

export * from './types.ts';

/** Opens the relational store. Today: a SQLite file (`:memory:` for a throwaway one). */
export async function openStore(options: { sqlitePath: string }): Promise<Store> {
  const db = openSqlite(options.sqlitePath);
  return {
    kind: 'sqlite',
    homes: sqliteHomes(db),
    devices: sqliteDevices(db),
    users: sqliteUsers(db),
    teams: sqliteTeams(db),
    consent: sqliteConsent(db),
    alerts: sqliteAlerts(db),
    audit: sqliteAudit(db),
    powersOfAttorney: sqlitePowersOfAttorney(db),
    notifications: sqliteNotifications(db),
    erasures: sqliteErasures(db),
    sessions: sqliteSessions(db),
    loginLimits: sqliteLoginLimits(db),
    responderCards: sqliteResponderCards(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
