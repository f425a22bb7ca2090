/**
 * Migrations, in order. Each runs once, inside a transaction; `schema_version` records how far
 * a database has come. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
  );
  CREATE TABLE homes (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams(id),
    timezone TEXT NOT NULL DEFAULT 'Europe/Copenhagen',
    settings TEXT NOT NULL DEFAULT '{}',
    test INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX homes_team ON homes(team_id);
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    home_id TEXT NOT NULL REFERENCES homes(id),
    role TEXT NOT NULL CHECK (role IN ('sensor', 'gateway')),
    kinds TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    test INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX devices_home ON devices(home_id);
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('staff', 'technician', 'admin', 'citizen', 'relative')),
    password_hash TEXT NOT NULL,
    home_id TEXT REFERENCES homes(id),
    created_at INTEGER NOT NULL
  );
  CREATE TABLE team_members (
    user_id TEXT NOT NULL REFERENCES users(id),
    team_id TEXT NOT NULL REFERENCES teams(id),
    PRIMARY KEY (user_id, team_id)
  );
  CREATE TABLE consent_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    home_id TEXT NOT NULL REFERENCES homes(id),
    category TEXT NOT NULL,
    purpose TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('grant', 'withdraw')),
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    on_behalf_of TEXT,
    channel TEXT NOT NULL,
    text_version TEXT NOT NULL,
    reference TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX consent_events_home ON consent_events(home_id, id);
  -- Consent events are append-only: the database itself refuses changes and deletions.
  CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
    BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
  CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
    BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    home_id TEXT NOT NULL REFERENCES homes(id),
    rule TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    audience TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    opened_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    repeats INTEGER NOT NULL DEFAULT 0,
    evidence TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at INTEGER,
    resolved_by TEXT,
    resolved_at INTEGER,
    outcome TEXT,
    note TEXT
  );
  CREATE INDEX alerts_home_state ON alerts(home_id, state);
  -- At most one unresolved alert per home and rule, enforced by the database too.
  CREATE UNIQUE INDEX alerts_one_active ON alerts(home_id, rule) WHERE state <> 'resolved';
  CREATE TABLE alert_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    home_id TEXT NOT NULL,
    type TEXT NOT NULL,
    alert TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    home_id TEXT,
    purpose TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX audit_home ON audit(home_id, id);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  `
  -- Legal basis of monitoring: which basis a grant rests on (a grant recorded before this column
  -- existed was the citizen's own); a § 128 a decision carries its review date.
  ALTER TABLE consent_events ADD COLUMN basis TEXT;
  ALTER TABLE consent_events ADD COLUMN review_due TEXT;
  -- A relative's power of attorney for one citizen, verified and recorded by staff; revoked, never deleted.
  CREATE TABLE powers_of_attorney (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    relative_user_id TEXT NOT NULL REFERENCES users(id),
    home_id TEXT NOT NULL REFERENCES homes(id),
    verified_by TEXT NOT NULL,
    verified_at INTEGER NOT NULL,
    reference TEXT NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT
  );
  CREATE INDEX powers_of_attorney_relative ON powers_of_attorney(relative_user_id);
  CREATE INDEX powers_of_attorney_home ON powers_of_attorney(home_id);
  CREATE UNIQUE INDEX powers_of_attorney_active ON powers_of_attorney(relative_user_id, home_id)
    WHERE revoked_at IS NULL;
  -- Alerts: the legal basis they were raised under, test alerts, and how far they have escalated.
  ALTER TABLE alerts ADD COLUMN legal_basis TEXT;
  ALTER TABLE alerts ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE alerts ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX alerts_opened_at ON alerts(opened_at);
  -- Every attempt to reach someone about an alert, with its result.
  CREATE TABLE alert_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    at INTEGER NOT NULL,
    notifier TEXT NOT NULL,
    target TEXT NOT NULL,
    level INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('delivered', 'failed')),
    detail TEXT
  );
  CREATE INDEX alert_notifications_alert ON alert_notifications(alert_id, id);
  CREATE TRIGGER alert_notifications_no_update BEFORE UPDATE ON alert_notifications
    BEGIN SELECT RAISE(ABORT, 'notification attempts are append-only'); END;
  -- How often a device reports (seconds): offline is judged against 2.5 x this.
  ALTER TABLE devices ADD COLUMN report_interval_s INTEGER NOT NULL DEFAULT 300;
  `,
  `
  -- A citizen's (or their relative's) request to erase the readings stored about their home, with
  -- what the platform did about it. One row per request, written once it has been carried out:
  -- append-only, like consent and the audit log.
  CREATE TABLE erasure_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    home_id TEXT NOT NULL REFERENCES homes(id),
    requested_by TEXT NOT NULL,
    requester_role TEXT NOT NULL,
    on_behalf_of TEXT,
    scope TEXT NOT NULL CHECK (scope IN ('readings')),
    requested_at INTEGER NOT NULL,
    completed_at INTEGER NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('erased', 'failed')),
    detail TEXT
  );
  CREATE INDEX erasure_requests_home ON erasure_requests(home_id, id);
  CREATE TRIGGER erasure_requests_no_update BEFORE UPDATE ON erasure_requests
    BEGIN SELECT RAISE(ABORT, 'erasure requests are append-only'); END;
  CREATE TRIGGER erasure_requests_no_delete BEFORE DELETE ON erasure_requests
    BEGIN SELECT RAISE(ABORT, 'erasure requests are append-only'); END;
  `,
  `
  -- Dashboard sessions, so a restart does not log everyone out (a team's board on the wall stays
  -- on). The cookie's random id is never stored: only its SHA-256, so a copy of the database opens
  -- no session. Ended sessions are deleted.
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  -- Failed logins per account and per source address, and the lock they lead to. The key is an
  -- HMAC (the key below), so neither addresses nor whatever was typed as a username are kept.
  CREATE TABLE login_limits (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    lock_level INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
  );
  CREATE INDEX login_limits_last_failure ON login_limits(last_failure_at);
  -- Random keys made once per database, shared by every process that uses it.
  CREATE TABLE instance_keys (
    name TEXT PRIMARY KEY,
    key BLOB NOT NULL
  );
  INSERT INTO instance_keys (name, key) VALUES ('login_limits', randomblob(32));
  `,
  `
  -- Test mode of a citizen's home or device: a technician tests it until then (epoch ms); it ends by
  -- itself. A home or device that is test from birth (the simulator's) keeps \`test\`.
  ALTER TABLE homes ADD COLUMN test_until INTEGER;
  ALTER TABLE devices ADD COLUMN test_until INTEGER;
  -- A citizen's home a technician once marked as test without an end is a citizen's home again: its
  -- last test mark in the audit log was a technician's 'test=true', not its creation.
  UPDATE homes SET test = 0 WHERE test = 1 AND (
    SELECT detail FROM audit WHERE audit.home_id = homes.id AND action = 'home.update'
      AND detail IN ('test=true', 'test=false') ORDER BY id DESC LIMIT 1
  ) = 'test=true';
  -- A test device in a citizen's home is no longer a thing: such a device is tested in test mode.
  UPDATE devices SET test = 0 WHERE test = 1 AND home_id IN (SELECT id FROM homes WHERE test = 0);
  `,
  `
  -- The responder's card of a home: address, how to get in, who to call. Personal data, kept here
  -- only (never in InfluxDB or logs). One row per home; contacts as a JSON list, sorted by priority.
  -- An erasure request removes the phone numbers, key box and notes and keeps the address
  -- (details_erased_at says when).
  CREATE TABLE responder_cards (
    home_id TEXT PRIMARY KEY REFERENCES homes(id),
    address_lines TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    key_box_location TEXT,
    key_box_code TEXT,
    access_notes TEXT,
    citizen_phone TEXT,
    contacts TEXT NOT NULL DEFAULT '[]',
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_by_role TEXT NOT NULL,
    details_erased_at INTEGER
  );
  `,
  `
  -- An administrator reset this account's password: until its owner picks a new one, a login only
  -- lets them change it.
  ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
  `,
];
