import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import type { z } from 'zod';
import { type ErrorCode, type FieldIssue, TryghedError } from '../../../services/runtime/index.ts';
import type { Access } from '../access.ts';
import type { Actor, DashboardContext } from '../context.ts';
import { allowedBeforePasswordChange, passwordChangeRequired } from '../password-change.ts';
import { actorFromCookie } from '../session-check.ts';

export type { Access };

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: anyone, anyone logged in, or the listed roles. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** the logged-in person; reading it on a public route is a 401 */
  actor: Actor;
  req: Request;
  res: Response;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;
type Returned<S> = S extends z.ZodType ? z.input<S> : undefined;

/** A media type such as `text/csv`, without parameters. */
export type MediaType = `${string}/${string}`;

/**
 * A body sent as text instead of JSON (a CSV download): what a handler returns when the route's
 * declaration lists `response.text[mediaType]`. It goes out as UTF-8; one not declared is a 500.
 */
export class TextBody {
  constructor(
    readonly mediaType: MediaType,
    readonly text: string,
  ) {}
}

/**
 * One API endpoint, declared once: the same declaration mounts it on express, validates what comes
 * in, checks what goes out (when asked) and becomes its part of the OpenAPI document.
 */
export interface ApiRoute<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: HttpMethod;
  /** express syntax, under /api: `/api/homes/:homeId` */
  path: `/api/${string}`;
  /** a short phrase for the document's operation list */
  summary: string;
  description?: string;
  /** groups operations in the document, e.g. `alerts` */
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** a larger JSON body than the default 64 KiB, for this route only (bulk provisioning) */
  bodyLimitBytes?: number;
  response: {
    status: 200 | 201 | 204 | 302 | 303;
    description: string;
    /** the JSON body; absent for 204 and redirects */
    schema?: R;
    /**
     * bodies the route may send as text instead, by media type (`text/csv`), each a string schema
     * whose description says what is in it; the handler returns a `TextBody` for these
     */
    text?: Readonly<Record<MediaType, z.ZodType<string>>>;
    /** response headers a client may rely on, by name, with what they hold (`Content-Disposition`) */
    headers?: Readonly<Record<string, string>>;
  };
  /** error codes this route answers with besides those implied by its access and inputs */
  errors?: readonly ErrorCode[];
  // Method syntax on purpose: routes with different schemas must fit in one list (bivariant check).
  handle(
    input: RouteInput<Parsed<P>, Parsed<Q>, Parsed<B>>,
  ): Promise<Returned<R> | TextBody | undefined> | Returned<R> | TextBody | undefined;
}

/** Infers a route's schema types from its declaration. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(route: ApiRoute<P, Q, B, R>): ApiRoute<P, Q, B, R> {
  return route;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of routes with different schemas; each was checked by defineRoute
export type AnyApiRoute = ApiRoute<any, any, any, any>;

/** `/api/homes/:homeId` → `/api/homes/{homeId}` */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

export interface MountOptions {
  /** check every JSON response against its declared schema; a mismatch is a logged 500 (tests turn it on) */
  checkResponses: boolean;
}

/** Mounts the routes on one router: session, CSRF and role checks, input validation, the reply. */
export function mountRoutes(
  ctx: DashboardContext,
  routes: readonly AnyApiRoute[],
  options: MountOptions,
): Router {
  const router = express.Router();
  const seen = new Set<string>();
  for (const route of routes) {
    const key = routeKey(route.method, route.path);
    if (seen.has(key)) throw new Error(`API route declared twice: ${key}`);
    seen.add(key);
    router[route.method](route.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        await serve(ctx, route, options, req, res);
      } catch (err) {
        next(err);
      }
    });
  }
  return router;
}

async function serve(
  ctx: DashboardContext,
  route: AnyApiRoute,
  options: MountOptions,
  req: Request,
  res: Response,
): Promise<void> {
  let actor: Actor | undefined;
  if (route.access !== 'public') {
    actor = await actorFromCookie(ctx, req.headers.cookie);
    if (actor.user.mustChangePassword && !allowedBeforePasswordChange(route)) throw passwordChangeRequired();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const session = await ctx.sessions.peek(actor.sessionId);
      if (!session || !sameSecret(req.get('x-csrf-token') ?? '', session.csrfToken)) {
        throw new TryghedError('forbidden', 'missing or wrong CSRF token; reload the page', {
          reason: 'csrf',
        });
      }
    }
    if (route.access !== 'session' && !route.access.includes(actor.user.role)) {
      throw new TryghedError('forbidden', 'your role may not do this', { reason: 'role' });
    }
  }

  const issues: FieldIssue[] = [];
  const parse = (schema: z.ZodType | undefined, value: unknown, where: FieldIssue['in'] & string) => {
    if (!schema) return {};
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    issues.push(...fieldIssues(parsed.error.issues, where));
    return undefined;
  };
  const params = parse(route.params, { ...req.params }, 'path');
  const query = parse(route.query, { ...req.query }, 'query');
  // An absent body is an empty object, so a body whose fields are all optional may be left out.
  const body = parse(route.body, req.body ?? {}, 'body');
  if (issues.length > 0) {
    const parts = new Set(issues.map((i) => i.in));
    const what =
      parts.size > 1 ? 'request' : { body: 'request body', query: 'query', path: 'path' }[issues[0]!.in!];
    throw new TryghedError('bad_request', `the ${what} is not valid`, { issues });
  }

  const out = await route.handle({
    params,
    query,
    body,
    get actor(): Actor {
      if (!actor) throw new TryghedError('unauthenticated', 'please log in');
      return actor;
    },
    req,
    res,
  });
  if (res.headersSent) return;
  if (out instanceof TextBody) {
    const schema = route.response.text?.[out.mediaType];
    // A media type the document does not list is never sent; its content is checked as JSON is.
    const issues = !schema
      ? [{ in: 'body' as const, path: '(body)', message: `${out.mediaType} is not declared` }]
      : options.checkResponses
        ? checkedIssues(schema, out.text)
        : [];
    if (issues.length > 0) mismatch(route, issues);
    res.status(route.response.status).type(`${out.mediaType}; charset=utf-8`).send(out.text);
    return;
  }
  if (route.response.status === 204 || !route.response.schema) {
    res.status(route.response.status).end();
    return;
  }
  if (options.checkResponses) {
    const issues = checkedIssues(route.response.schema, out);
    if (issues.length > 0) mismatch(route, issues);
  }
  res.status(route.response.status).json(out);
}

/** Compares a secret sent by a client with ours in constant time (over digests, so lengths may differ). */
function sameSecret(sent: string, ours: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(sent), digest(ours));
}

function checkedIssues(schema: z.ZodType, value: unknown): FieldIssue[] {
  const checked = schema.safeParse(value);
  return checked.success ? [] : fieldIssues(checked.error.issues, 'body');
}

/** A response that does not match its declaration: a 500, logged once (by the error handler) with the issues. */
function mismatch(route: AnyApiRoute, issues: FieldIssue[]): never {
  const cause = Object.assign(
    new Error(`a response of ${routeKey(route.method, route.path)} does not match its declared schema`),
    { issues },
  );
  throw new TryghedError('internal', 'the response does not match the API document', { cause });
}

/** zod issues as `{ path: 'field.sub', message }`, one per unknown key so each is named. */
export function fieldIssues(
  issues: readonly z.core.$ZodIssue[],
  where: FieldIssue['in'] & string,
): FieldIssue[] {
  const root = `(${where})`;
  const join = (path: readonly PropertyKey[]) => path.map(String).join('.') || root;
  return issues.flatMap((i): FieldIssue[] =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({
          in: where,
          path: join([...i.path, key]),
          message: 'unknown field',
          code: 'unknown_field',
        }))
      : [{ in: where, path: join(i.path), message: i.message, code: i.code }],
  );
}
