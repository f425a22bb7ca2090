import type { components, paths } from './schema.d.ts';

/**
 * The browser's one way to the REST API, typed by path and method from `schema.d.ts` (generated
 * from the server's OpenAPI document by `npm run api:types`): the path must be a documented one,
 * its `{params}`, query and body are the route's, and the answer has the type the route declares.
 *
 *   const { alerts } = await api('get', '/api/alerts', { query: { state: 'open' } });
 *   await api('post', '/api/alerts/{id}/acknowledge', { path: { id } });
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** the documented paths that have an operation for `M` */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, object> ? P : never;
}[keyof paths];

type Operation<P extends keyof paths, M extends Method> = paths[P] extends Record<M, infer O> ? O : never;

type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : undefined;
type Success<O> = O extends { responses: infer R } ? JsonOf<R[Extract<keyof R, 200 | 201 | 204>]> : never;

/** what a route answers with when it succeeds (`undefined` for 204 and redirects) */
export type ApiResponse<P extends PathsWith<M>, M extends Method> = Success<Operation<P, M>>;

type PathOf<O> = O extends { parameters: { path: infer X } } ? X : never;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? Exclude<Q, undefined> : never;
type BodyOf<O> = O extends { requestBody?: infer R }
  ? [Exclude<R, undefined>] extends [{ content: { 'application/json': infer B } }]
    ? B
    : never
  : never;
/** what a route takes as its JSON body */
export type RequestBody<P extends PathsWith<M>, M extends Method> = BodyOf<Operation<P, M>>;

/** a body whose fields are all optional may be left out (the document says `required: false`) */
type BodyRequired<O> = O extends { requestBody: object } ? true : false;

/** each part only when the route has it: a path's `{params}`, a query, a JSON body */
type Parts<O> = ([PathOf<O>] extends [never] ? unknown : { path: PathOf<O> }) &
  ([QueryOf<O>] extends [never] ? unknown : { query?: QueryOf<O> }) &
  ([BodyOf<O>] extends [never]
    ? unknown
    : BodyRequired<O> extends true
      ? { body: BodyOf<O> }
      : { body?: BodyOf<O> });

/** the options argument: required when the route has path parameters or a required body */
type Args<O> = [PathOf<O>] extends [never]
  ? BodyRequired<O> extends true
    ? [options: Parts<O>]
    : [options?: Parts<O>]
  : [options: Parts<O>];

/** the body of an error answer (`{ error, message, issues? }`) */
export type ErrorBody = components['schemas']['Error'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** the fields a 400 named, with the server's reason (English) and its stable code */
    readonly issues: Array<{ path: string; message: string; code?: string }> = [],
    /** the server's stable codes (`error`, and the more precise `reason`): errors.ts words them */
    readonly code = `http_${status}`,
    readonly reason?: string,
    /** facts the words may name (`min`, `max` …), never personal data */
    readonly detail: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

let csrf = '';

/** the session's CSRF token, sent with every request (from login or `GET /api/session`) */
export function setCsrfToken(token: string): void {
  csrf = token;
}

function isErrorBody(value: unknown): value is Partial<ErrorBody> {
  return typeof value === 'object' && value !== null;
}

/** A request by URL, answered with the parsed JSON (or undefined for 204): the transport of `api`. */
async function send(method: string, url: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: method.toUpperCase(),
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return undefined;
  const data: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = isErrorBody(data) ? data : {};
    throw new ApiError(
      res.status,
      error.message ?? res.statusText,
      error.issues ?? [],
      error.error ?? `http_${res.status}`,
      error.reason,
      error.detail ?? {},
    );
  }
  return data;
}

/** `/api/homes/{homeId}/x` with its parameters filled in (encoded) and the query appended */
export function urlOf(path: string, params: Record<string, string> = {}, query: object = {}): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null) search.set(name, String(value));
  const text = search.toString();
  return text ? `${filled}?${text}` : filled;
}

/**
 * Calls a documented route. The answer is the route's declared response type: the server checks
 * what it sends against the same document (`checkResponses` in every API and browser test), so
 * this is the one place the browser takes the server's JSON at its word.
 */
export async function api<M extends Method, P extends PathsWith<M>>(
  method: M,
  path: P,
  ...[options]: Args<Operation<P, M>>
): Promise<ApiResponse<P, M>> {
  const parts: { path?: Record<string, string>; query?: object; body?: unknown } = options ?? {};
  const data = await send(method, urlOf(path, parts.path, parts.query), parts.body);
  return data as ApiResponse<P, M>;
}
