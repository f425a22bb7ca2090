/**
 * Errors are data: a stable code a client can act on, a human message, an HTTP status,
 * and the cause kept for the log (never sent to a client).
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'password_change_required'
  | 'not_found'
  | 'conflict'
  | 'no_history_consent'
  | 'payload_too_large'
  | 'rate_limited'
  | 'invalid_config'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  // an administrator reset the password: the session may only change it (and log out) until then
  password_change_required: 403,
  not_found: 404,
  conflict: 409,
  // a refusal the person can act on: the citizen has not consented to keeping this history
  no_history_consent: 403,
  payload_too_large: 413,
  rate_limited: 429,
  invalid_config: 500,
  unavailable: 503,
  internal: 500,
};

export interface FieldIssue {
  /** dotted path inside the part, e.g. `settings.nightStart`; `(body)` for the whole body */
  path: string;
  message: string;
  /** a stable code for why (zod's issue code: `too_small`, `invalid_format` …; `unknown_field`), for clients to word */
  code?: string;
  /** which part of an HTTP request the field is in, when it came from one */
  in?: 'body' | 'query' | 'path';
}

export class TryghedError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: {
      cause?: unknown;
      issues?: FieldIssue[];
      detail?: Record<string, string>;
      reason?: string;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'TryghedError';
    this.status = STATUS[code];
    this.issues = options.issues ?? [];
    this.detail = options.detail ?? {};
    this.reason = options.reason;
  }
  /**
   * a stable, more precise code than `code` (`device_exists`, `last_administrator` …), sent as
   * `reason`: the web app words it from its message catalog; the English `message` is for API users and logs
   */
  readonly reason: string | undefined;
  readonly issues: FieldIssue[];
  /** facts a client acts on, sent as `detail` (e.g. `category` with no_history_consent); never personal data */
  readonly detail: Record<string, string>;
}

/** `what` starts with the kind of thing (`home`, `device d-1`): `home_not_found` is the reason */
export const notFound = (what: string) =>
  new TryghedError('not_found', `${what} not found`, { reason: `${what.split(' ')[0]}_not_found` });
export const forbidden = (why = 'not allowed', reason?: string) =>
  new TryghedError('forbidden', why, reason ? { reason } : {});
export const conflict = (why: string, reason?: string) =>
  new TryghedError('conflict', why, reason ? { reason } : {});

/**
 * The platform could not start: a port is taken, InfluxDB does not answer, a certificate does not
 * fit its key. The message says what to change; `setting`, when one is to blame, names it
 * (e.g. `HTTP_PORT`), so a caller can point at it without parsing the message. One type for every
 * part (broker, dashboard, readings, TLS), printed plainly by `tryghed start`.
 */
export class StartError extends Error {
  readonly setting: string | undefined;
  constructor(message: string, options: { setting?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StartError';
    this.setting = options.setting;
  }
}
