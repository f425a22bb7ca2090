import type { Generated } from 'kysely';

/**
 * The tables as the query layer sees them, the same on SQLite and PostgreSQL. Times are epoch ms
 * (INTEGER on SQLite, BIGINT on PostgreSQL, read back as numbers); flags are 0/1 integers on both, so
 * rows copy between the two unchanged; JSON is kept as text, written and read whole.
 */
export interface Tables {
  schema_version: { version: number };
  teams: { id: string; name: string };
  homes: {
    id: string;
    label: string;
    team_id: string;
    timezone: string;
    settings: string;
    test: number;
    test_until: number | null;
    created_at: number;
  };
  devices: {
    id: string;
    home_id: string;
    role: string;
    kinds: string;
    secret_hash: string;
    test: number;
    test_until: number | null;
    report_interval_s: number;
    created_at: number;
  };
  users: {
    id: string;
    username: string;
    display_name: string;
    role: string;
    password_hash: string;
    home_id: string | null;
    created_at: number;
    must_change_password: number;
  };
  team_members: { user_id: string; team_id: string };
  consent_events: {
    id: Generated<number>;
    home_id: string;
    category: string;
    purpose: string;
    action: string;
    actor_id: string;
    actor_role: string;
    on_behalf_of: string | null;
    channel: string;
    text_version: string;
    reference: string | null;
    basis: string | null;
    review_due: string | null;
    at: number;
  };
  alerts: {
    id: string;
    home_id: string;
    rule: string;
    category: string;
    severity: string;
    audience: string;
    state: string;
    opened_at: number;
    last_seen_at: number;
    repeats: number;
    evidence: string;
    acknowledged_by: string | null;
    acknowledged_at: number | null;
    /** "på vej" and "fremme": who and when (added with the timed chain) */
    en_route_by: string | null;
    en_route_at: number | null;
    arrived_by: string | null;
    arrived_at: number | null;
    resolved_by: string | null;
    resolved_at: number | null;
    outcome: string | null;
    note: string | null;
    legal_basis: string | null;
    test: number;
    escalation_level: number;
    /** row version: every update adds one, and an update naming an older one changes nothing */
    version: Generated<number>;
  };
  alert_events: {
    seq: Generated<number>;
    alert_id: string;
    home_id: string;
    type: string;
    alert: string;
    at: number;
  };
  audit: {
    id: Generated<number>;
    at: number;
    actor_id: string;
    actor_role: string;
    action: string;
    home_id: string | null;
    purpose: string;
    detail: string | null;
  };
  powers_of_attorney: {
    id: Generated<number>;
    relative_user_id: string;
    home_id: string;
    verified_by: string;
    verified_at: number;
    reference: string;
    revoked_at: number | null;
    revoked_by: string | null;
  };
  alert_notifications: {
    id: Generated<number>;
    alert_id: string;
    at: number;
    notifier: string;
    target: string;
    level: number;
    attempt: number;
    result: string;
    detail: string | null;
  };
  erasure_requests: {
    id: Generated<number>;
    home_id: string;
    requested_by: string;
    requester_role: string;
    on_behalf_of: string | null;
    scope: string;
    requested_at: number;
    completed_at: number;
    result: string;
    detail: string | null;
  };
  sessions: {
    id_hash: string;
    user_id: string;
    csrf_token: string;
    created_at: number;
    last_seen_at: number;
  };
  login_limits: {
    key: string;
    failures: number;
    lock_level: number;
    locked_until: number;
    last_failure_at: number;
  };
  instance_keys: { name: string; key: Buffer };
  responder_cards: {
    home_id: string;
    address_lines: string;
    postcode: string;
    city: string;
    key_box_location: string | null;
    key_box_code: string | null;
    access_notes: string | null;
    citizen_phone: string | null;
    contacts: string;
    updated_at: number;
    updated_by: string;
    updated_by_role: string;
    details_erased_at: number | null;
  };
  rule_state: { rule: string; key: string; home_id: string; state: string; updated_at: number };
  escalation_deadlines: {
    alert_id: string;
    due_at: number;
    level: number;
    reminders: number;
    updated_at: number;
  };
  resend_windows: { device_id: string; state: string; heard_at: number };
  notice_outbox: {
    id: string;
    idempotency_key: string;
    channel: string;
    alert_id: string | null;
    home_id: string | null;
    payload: string;
    state: string;
    attempts: number;
    next_attempt_at: number;
    created_at: number;
    delivered_at: number | null;
    settled_at: number | null;
    last_error: string | null;
    claimed_by: string | null;
    claimed_until: number | null;
  };
}

/** Every table that holds data, parents before children (the order a copy inserts them in). */
export const DATA_TABLES = [
  'teams',
  'homes',
  'devices',
  'users',
  'team_members',
  'consent_events',
  'alerts',
  'alert_events',
  'audit',
  'powers_of_attorney',
  'alert_notifications',
  'erasure_requests',
  'sessions',
  'login_limits',
  'instance_keys',
  'responder_cards',
  'rule_state',
  'escalation_deadlines',
  'resend_windows',
  'notice_outbox',
] as const satisfies ReadonlyArray<keyof Tables>;

/** Tables whose id a sequence hands out, and that id column (reset after a copy). */
export const SEQUENCED: ReadonlyArray<readonly [keyof Tables, string]> = [
  ['consent_events', 'id'],
  ['alert_events', 'seq'],
  ['audit', 'id'],
  ['powers_of_attorney', 'id'],
  ['alert_notifications', 'id'],
  ['erasure_requests', 'id'],
];

export type Engine = 'sqlite' | 'postgres';
