import type { Express } from 'express';
import { z } from 'zod';
import type { ErrorCode } from '../../../services/runtime/index.ts';
import { allowedBeforePasswordChange } from '../password-change.ts';
import { type AnyApiRoute, openApiPath, routeKey } from './route.ts';
import { ErrorBody } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

/**
 * zod → JSON Schema 2020-12, which is what OpenAPI 3.1 schema objects are. An empty registry keeps
 * schemas inline (no `$defs` pointing into a document that does not have them); the metadata given
 * with `.meta()` (descriptions, examples) is copied in by hand, all but an `id`, which would do that.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    metadata: z.registry(),
    reused: 'inline',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const { id: _id, ...meta } = z.globalRegistry.get(zodSchema) ?? {};
      Object.assign(jsonSchema, meta);
    },
  }) as JsonSchema;
  return rest;
}

const ERROR_TEXT: Record<ErrorCode, [number, string]> = {
  bad_request: [400, 'The request is not valid; `issues` names each field and why.'],
  unauthenticated: [401, 'Not logged in, or the session has ended.'],
  forbidden: [403, 'Missing CSRF token, or the role may not do this.'],
  password_change_required: [
    403,
    'An administrator reset the password: change it (`POST /api/session/password`) before anything else.',
  ],
  not_found: [404, 'Not found, or not visible to this person.'],
  conflict: [409, 'Conflicts with the current state.'],
  no_history_consent: [
    403,
    'The citizen has not consented to keeping a history of this category; `detail.category` names it.',
  ],
  payload_too_large: [413, 'The request body is too large.'],
  rate_limited: [429, 'Too many attempts; wait and try again.'],
  invalid_config: [500, 'The server is misconfigured.'],
  unavailable: [503, 'A part the request needs is unavailable.'],
  internal: [500, 'Unexpected error; it has been logged.'],
};

/** The error codes a route can answer with, from its declaration. */
function errorsOf(route: AnyApiRoute): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors ?? []);
  if (route.params || route.query || route.body) codes.add('bad_request');
  if (route.body) codes.add('payload_too_large');
  if (route.access !== 'public') codes.add('unauthenticated');
  if (route.access !== 'public' && !allowedBeforePasswordChange(route)) codes.add('password_change_required');
  if (route.access !== 'public' && (route.access !== 'session' || route.method !== 'get'))
    codes.add('forbidden');
  return [...codes].sort((a, b) => ERROR_TEXT[a][0] - ERROR_TEXT[b][0]);
}

/** Path and query parameters, one per property of the route's object schema. */
function parameters(route: AnyApiRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const s = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(s.properties ?? {})) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: where,
        required: where === 'path' || (s.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  paths: Record<string, Record<string, JsonSchema>>;
  [key: string]: unknown;
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 document of every declared route. */
export function openApiDocument(routes: readonly AnyApiRoute[], info: DocumentInfo): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) addOperation(paths, route);
  return documentOf(paths, info);
}

/**
 * The same document, built a few routes per turn of the event loop: the whole of it takes most of a
 * second of CPU (the JSON schemas), which a running platform must not spend in one go. The
 * dashboard serves this one, made when first asked for.
 */
export async function openApiDocumentInSlices(
  routes: readonly AnyApiRoute[],
  info: DocumentInfo,
  sliceMs = 5,
): Promise<OpenApiDocument> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  let sliceStart = performance.now();
  for (const route of routes) {
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    addOperation(paths, route);
  }
  return documentOf(paths, info);
}

/** One route's operation, added to the document's paths. */
function addOperation(paths: Record<string, Record<string, JsonSchema>>, route: AnyApiRoute): void {
  const path = openApiPath(route.path);
  paths[path] ??= {};
  const item = paths[path];
  const headers: Record<string, JsonSchema> = {};
  if (route.response.status === 302 || route.response.status === 303)
    headers.Location = { schema: { type: 'string' }, description: 'where to go next' };
  for (const [name, description] of Object.entries(route.response.headers ?? {}))
    headers[name] = { schema: { type: 'string' }, description };
  const content: Record<string, JsonSchema> = {};
  if (route.response.schema)
    content['application/json'] = { schema: jsonSchema(route.response.schema, 'output') };
  for (const [mediaType, schema] of Object.entries(route.response.text ?? {}) as [string, z.ZodType][])
    content[mediaType] = { schema: jsonSchema(schema, 'output') };
  const responses: Record<string, JsonSchema> = {
    [String(route.response.status)]: {
      description: route.response.description,
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(Object.keys(content).length ? { content } : {}),
    },
  };
  for (const code of errorsOf(route)) {
    const [status, description] = ERROR_TEXT[code];
    responses[String(status)] ??= {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const params = parameters(route);
  item[route.method] = {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    'x-access': route.access === 'public' || route.access === 'session' ? route.access : [...route.access],
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            // a body whose fields are all optional may be left out
            required: !route.body.safeParse({}).success,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

function documentOf(paths: Record<string, Record<string, JsonSchema>>, info: DocumentInfo): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'tryghed_session',
          description: 'The session cookie set at login; state changes also need the `x-csrf-token` header.',
        },
      },
    },
    security: [{ session: [] }],
  };
}

function operationId(route: AnyApiRoute): string {
  const words = route.path
    .replace(/^\/api\//, '')
    .split(/[/-]/)
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by ${w.slice(1)}` : w))
    .join(' ')
    .split(' ');
  return [route.method, ...words].map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

/**
 * The routes express actually serves under /api, read from its router stack: what the document is
 * checked against, so a route mounted without a declaration cannot hide.
 */
export function mountedApiRoutes(app: Express): string[] {
  const found: string[] = [];
  // express 5 keeps its router's layers public but untyped; only the fields read here are assumed.
  interface Layer {
    rawPath?: unknown;
    route?: { path: unknown; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          const path = `${prefix}${String(p)}`;
          if (!path.startsWith('/api/') && path !== '/api') continue;
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') found.push(routeKey(method, path));
          }
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found.sort();
}

/**
 * The operations declared by `routes`, in the same form as `mountedApiRoutes`: what the document
 * lists (it is built from the same declarations), without building the document, whose schemas take
 * most of a second of CPU (it is made when first asked for, not at every start).
 */
export function declaredRoutes(routes: readonly AnyApiRoute[]): string[] {
  return [...new Set(routes.map((r) => routeKey(r.method, r.path)))].sort();
}

/** The operations the document lists, in the same form as `mountedApiRoutes`. */
export function documentedRoutes(document: { paths: Record<string, object> }): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) =>
      Object.keys(item).map((method) => routeKey(method, path.replace(/\{(\w+)\}/g, ':$1'))),
    )
    .sort();
}
