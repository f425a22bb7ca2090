import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyApiRoute,
  declaredRoutes,
  defineRoute,
  documentedRoutes,
  mountedApiRoutes,
  mountRoutes,
  openApiDocument,
  openApiDocumentInSlices,
  TextBody,
} from '../dashboard/server/api/index.ts';
import type { DashboardContext } from '../dashboard/server/context.ts';
import { errorHandler } from '../dashboard/server/http-errors.ts';
import type { Dashboard } from '../dashboard/server/index.ts';
import { silentLogger } from '../services/runtime/index.ts';
import { ApiClient } from './harness/api.ts';
import { addUser, startTestDashboard } from './harness/dashboard.ts';
import { servicesFixture } from './harness/services.ts';

type Fixture = Awaited<ReturnType<typeof servicesFixture>>;
const PASSWORD = 'password-123';

interface ErrorBody {
  error: string;
  message: string;
  issues?: Array<{ path: string; message: string; in?: string }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
}

/** No stack trace, file path or internal name in what a client sees. */
const noInternals = (text: string) => expect(text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|Error:\s/);

describe('the API document and bad input', () => {
  let f: Fixture;
  let dashboard: Dashboard;
  let url: string;
  let admin: ApiClient;
  let staff: ApiClient;

  beforeAll(async () => {
    f = await servicesFixture(Date.now());
    await f.home('home-a', ['fall']);
    await addUser(f, 'admin', 'admin', PASSWORD);
    await addUser(f, 'anna', 'staff', PASSWORD, { teamIds: ['t'] });
    dashboard = await startTestDashboard(f);
    url = dashboard.url;
    admin = await ApiClient.login(url, 'admin', PASSWORD);
    staff = await ApiClient.login(url, 'anna', PASSWORD);
  });
  afterAll(async () => {
    await dashboard?.close();
    await f?.close();
  });

  it('serves an OpenAPI 3.1 document without a session', async () => {
    const res = await fetch(`${url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Document & { components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.Error).toBeDefined();
    // the schemas are generated from zod: the consent body's enum and refinement targets are there
    const consent = doc.paths['/api/homes/{homeId}/consent']!.post as unknown as {
      requestBody: {
        content: { 'application/json': { schema: { properties: Record<string, { enum?: string[] }> } } };
      };
    };
    const props = consent.requestBody.content['application/json'].schema.properties;
    expect(props.category?.enum).toEqual(['emergency', 'environment', 'activity', 'door', 'sleep']);
    expect(props.reference).toBeDefined();
  });

  it('carries the descriptions given with the schemas', async () => {
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as Document & {
      components: { schemas: { Error: { properties: Record<string, { description?: string }> } } };
    };
    expect(doc.components.schemas.Error.properties.error?.description).toMatch(/stable code/);
    const alerts = doc.paths['/api/alerts']!.get as unknown as {
      parameters: Array<{ name: string; description?: string; schema: Record<string, unknown> }>;
    };
    const state = alerts.parameters.find((p) => p.name === 'state')!;
    expect(state.description).toMatch(/comma-separated/);
    // a parameter's description is told once, beside it, not again inside its schema
    expect(state.schema.description).toBeUndefined();
  });

  it('lists exactly the routes express serves under /api: the document cannot drift', async () => {
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as Document;
    const mounted = dashboard.mountedApiRoutes();
    expect(mounted.length).toBeGreaterThan(15);
    expect(documentedRoutes(doc)).toEqual(mounted);
    for (const must of [
      'GET /api/alerts',
      'POST /api/alerts/:id/resolve',
      'POST /api/session',
      'GET /api/openapi.json',
    ])
      expect(mounted).toContain(must);
  });

  const route = (method: 'get' | 'post', path: `/api/${string}`) =>
    defineRoute({
      method,
      path,
      summary: path,
      tag: 'test',
      access: 'public',
      params: path.includes(':') ? z.strictObject({ id: z.string(), part: z.string() }) : undefined,
      response: { status: 204, description: 'x' },
      handle: () => undefined,
    }) as AnyApiRoute;
  const someRoutes = () => [
    route('get', '/api/things'),
    route('post', '/api/things/:id/parts/:part'),
    route('get', '/api/things/:id/parts/:part'),
  ];
  const info = { title: 't', version: '1', description: 'd' };

  it('checks mounted routes at start against the declarations, which name what the document lists', () => {
    // start compares express' routes with `declaredRoutes` (cheap), not with the document (most of a
    // second of CPU, built when first asked for): both must name the same operations
    const routes = someRoutes();
    expect(declaredRoutes(routes)).toEqual(documentedRoutes(openApiDocument(routes, info)));
    expect(declaredRoutes(routes)).toEqual([
      'GET /api/things',
      'GET /api/things/:id/parts/:part',
      'POST /api/things/:id/parts/:part',
    ]);
  });

  it('serves the document built a few routes per turn of the event loop: the same document', async () => {
    const routes = someRoutes();
    // counts the turns of the event loop while the document is being built
    let turns = 0;
    let building = true;
    const count = () => {
      if (!building) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    const sliced = await openApiDocumentInSlices(routes, info, 0);
    building = false;
    expect(sliced).toEqual(openApiDocument(routes, info));
    // slices of 0 ms: a turn before each route; built in one go, no turn would pass at all
    expect(turns).toBeGreaterThanOrEqual(routes.length - 1);
  });

  it('would see a route mounted beside the registry', () => {
    // the same reading of express the test above relies on, shown to catch an undeclared route
    const app = express();
    const side = express.Router();
    side.get('/api/secret-backdoor', (_req, res) => {
      res.end();
    });
    app.use(side);
    const nested = express.Router();
    nested.post('/things/:id', (_req, res) => {
      res.end();
    });
    app.use('/api/nested', nested);
    expect(mountedApiRoutes(app)).toEqual(['GET /api/secret-backdoor', 'POST /api/nested/things/:id']);
  });

  it('a bad body is a 400 naming each field, nested ones dotted, and the reason', async () => {
    const res = await admin.request('POST', '/api/homes/home-a/devices', {
      id: 'dev-x',
      kinds: ['fall', 'teleporter'],
      colour: 'blue',
    });
    expect(res.status).toBe(400);
    const body = res.body as ErrorBody;
    expect(body.error).toBe('bad_request');
    expect(body.message).toBe('the request body is not valid');
    const byPath = Object.fromEntries((body.issues ?? []).map((i) => [i.path, i]));
    expect(byPath['kinds.1']).toMatchObject({ in: 'body' });
    expect(byPath['kinds.1']?.message).toMatch(/fall|expected one of/i);
    expect(byPath.colour).toMatchObject({ in: 'body', message: 'unknown field' });
    noInternals(JSON.stringify(res.body));
  });

  it('a bad query and a bad path parameter are 400s naming them', async () => {
    const query = await staff.request('GET', '/api/alerts?state=open,burning');
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({
      error: 'bad_request',
      message: 'the query is not valid',
      issues: [{ in: 'query', path: 'state' }],
    });
    const twice = await staff.request('GET', '/api/alerts?state=open&state=resolved');
    expect(twice.status).toBe(400);
    const path = await staff.request('GET', `/api/homes/${encodeURIComponent('no such home!')}`);
    expect(path.status).toBe(400);
    expect(path.body).toMatchObject({ issues: [{ in: 'path', path: 'homeId' }] });
    // and a good one still works
    expect((await staff.request('GET', '/api/alerts?state=resolved')).status).toBe(200);
  });

  it('malformed JSON is a 400 with the parser reason and no stack', async () => {
    const res = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": "anna", oops',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    noInternals(text);
    const body = JSON.parse(text) as ErrorBody;
    expect(body.error).toBe('bad_request');
    expect(body.message).toBe('the request body is not valid JSON');
    expect(body.issues?.[0]).toMatchObject({ in: 'body', path: '(body)' });
    expect(body.issues?.[0]?.message).toMatch(/JSON/);
  });

  it('an oversized body is a 413 that says the limit', async () => {
    const res = await fetch(`${url}/api/homes/home-a/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: staff.sessionCookie },
      body: JSON.stringify({ textVersion: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(413);
    const text = await res.text();
    noInternals(text);
    expect(JSON.parse(text)).toMatchObject({
      error: 'payload_too_large',
      message: expect.stringMatching(/65536 bytes/),
    });
  });

  it('checks who is asking before it reads what they sent', async () => {
    const anonymous = await fetch(`${url}/api/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonsense: true }),
    });
    expect(anonymous.status).toBe(401);
    const wrongRole = await staff.request('POST', '/api/teams', { nonsense: true });
    expect(wrongRole.status).toBe(403);
    expect((await admin.request('POST', '/api/teams', { nonsense: true })).status).toBe(400);
  });

  it('an unknown /api path is a 404 in the same envelope', async () => {
    const res = await staff.request('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not_found', message: expect.any(String) });
  });
});

describe('the route registry on its own', () => {
  const ctx = { logger: silentLogger() } as unknown as DashboardContext;
  /** mounts the routes on a fresh express app and answers one GET */
  const fetchFrom = async (routes: AnyApiRoute[], checkResponses: boolean, path: string) => {
    const app = express();
    app.use(express.json());
    app.use(mountRoutes(ctx, routes, { checkResponses }));
    app.use(errorHandler(silentLogger(), 1024));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      return await fetch(`http://127.0.0.1:${port}${path}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  };
  const serve = (checkResponses: boolean) =>
    fetchFrom(
      [
        defineRoute({
          method: 'get',
          path: '/api/leaky',
          summary: 'returns a field its schema does not declare',
          tag: 'test',
          access: 'public',
          response: { status: 200, description: 'x', schema: z.strictObject({ name: z.string() }) },
          // a hash slipping out next to what was meant to be sent
          handle: () => ({ name: 'anna', passwordHash: 'scrypt$…' }) as unknown as { name: string },
        }),
      ],
      checkResponses,
      '/api/leaky',
    );

  /** a download in JSON or CSV; `as` picks what the handler returns, declared or not */
  const download = defineRoute({
    method: 'get',
    path: '/api/download',
    summary: 'a table as JSON or CSV',
    tag: 'test',
    access: 'public',
    query: z.strictObject({ as: z.enum(['json', 'csv', 'html', 'bad-csv']).default('json') }),
    response: {
      status: 200,
      description: 'the table',
      schema: z.strictObject({ rows: z.array(z.string()) }),
      text: { 'text/csv': z.string().startsWith('name\r\n').meta({ description: 'one column, `name`' }) },
      headers: { 'Content-Disposition': 'attachment; filename="table.<json|csv>"' },
    },
    handle: ({ query, res }) => {
      res.set('content-disposition', `attachment; filename="table.${query.as}"`);
      if (query.as === 'csv') return new TextBody('text/csv', 'name\r\nanna\r\n');
      if (query.as === 'bad-csv') return new TextBody('text/csv', 'anna\r\n');
      if (query.as === 'html') return new TextBody('text/html', '<p>anna</p>');
      return { rows: ['anna'] };
    },
  });

  it('sends a declared text body as it is, UTF-8, with the headers the handler set', async () => {
    const csv = await fetchFrom([download], true, '/api/download?as=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="table.csv"');
    expect(await csv.text()).toBe('name\r\nanna\r\n');
    const json = await fetchFrom([download], true, '/api/download');
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({ rows: ['anna'] });
  });

  it('never sends a media type the declaration does not list, and checks a text body like JSON', async () => {
    for (const checkResponses of [true, false]) {
      const html = await fetchFrom([download], checkResponses, '/api/download?as=html');
      expect(html.status).toBe(500);
      expect(await html.text()).not.toContain('anna');
    }
    const bad = await fetchFrom([download], true, '/api/download?as=bad-csv');
    expect(bad.status).toBe(500);
    expect((await fetchFrom([download], false, '/api/download?as=bad-csv')).status).toBe(200);
  });

  it('documents each media type of a response, and its declared headers', () => {
    const doc = openApiDocument([download], { title: 't', version: '1', description: '' });
    const ok = (
      doc.paths['/api/download']!.get as {
        responses: Record<
          string,
          { content: Record<string, { schema: unknown }>; headers: Record<string, { description: string }> }
        >;
      }
    ).responses['200']!;
    expect(Object.keys(ok.content)).toEqual(['application/json', 'text/csv']);
    expect(ok.content['text/csv']!.schema).toMatchObject({ type: 'string' });
    expect(ok.headers['Content-Disposition']?.description).toMatch(/attachment/);
  });

  it('with response checking on, a response that does not match the document is a 500, not a leak', async () => {
    const checked = await serve(true);
    expect(checked.status).toBe(500);
    expect(await checked.text()).not.toContain('scrypt');
    // without it the handler's object goes out as it is: the check is what catches it
    expect((await serve(false)).status).toBe(200);
  });

  it('refuses to declare the same route twice', () => {
    const route = defineRoute({
      method: 'get',
      path: '/api/x',
      summary: 'x',
      tag: 'test',
      access: 'public',
      response: { status: 204, description: 'x' },
      handle: () => undefined,
    });
    expect(() => mountRoutes(ctx, [route, route], { checkResponses: false })).toThrow(/twice/);
  });
});
