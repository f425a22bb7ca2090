import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import express, { type Router } from 'express';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));

/** Hashed assets never change under their name: a browser keeps them a year without asking again. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

type Encoding = 'br' | 'gzip' | 'identity';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * One file of the app. Its compressed forms are made the first time a browser asks for them, on
 * libuv's thread pool, and kept: at the highest settings they take a few hundred ms of CPU, which
 * neither a starting platform (devices reconnecting) nor its event loop should wait for.
 */
interface Asset {
  readonly type: string;
  readonly cacheControl: string;
  body(encoding: Encoding): Promise<Buffer>;
}

function asset(type: string, text: string, cacheControl: string): Asset {
  const raw = Buffer.from(text, 'utf8');
  const made: Partial<Record<Encoding, Promise<Buffer>>> = { identity: Promise.resolve(raw) };
  const make = (encoding: Exclude<Encoding, 'identity'>): Promise<Buffer> =>
    encoding === 'gzip'
      ? gzipAsync(raw, { level: 9 })
      : brotliAsync(raw, {
          params: {
            [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
            [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length,
            [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
          },
        });
  return {
    type,
    cacheControl,
    body(encoding) {
      if (encoding === 'identity') return made.identity!;
      let body = made[encoding];
      if (!body) {
        body = make(encoding);
        // a failure is not kept: the next request tries again (and this one is answered plainly)
        body.catch(() => {
          if (made[encoding] === body) delete made[encoding];
        });
        made[encoding] = body;
      }
      return body;
    },
  };
}

/**
 * The encoding to answer with, from an Accept-Encoding header: brotli before gzip, and a coding
 * with `q=0` is refused. Without the header (or with neither) the plain file.
 */
export function chooseEncoding(header: string | undefined): Encoding {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

/** A short hash of the content, for the file name: a new build is a new name. */
const contentHash = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);

/**
 * How the browser app is bundled: one ES module from `src/main.ts`, TSX through Preact's automatic
 * JSX runtime (`jsxImportSource: 'preact'`, as in dashboard/web/tsconfig.json), minified.
 */
export const webBuildOptions = {
  entryPoints: [`${WEB}src/main.ts`],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: `${WEB}tsconfig.json`,
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  write: false,
  logLevel: 'silent',
} as const satisfies BuildOptions;

/**
 * The browser app, bundled in memory by esbuild when the server starts: no build step for anyone
 * who runs `npm start`, and the page is always the code that is checked in. The script is
 * minified, without a source map, and its name carries a hash of its content
 * (`/app.<hash>.js`, `/styles.<hash>.css`), so it is cached for a year and a new version is a new
 * name; `index.html`, which names them, is asked for again every time (`no-cache`). Each file is
 * compressed once, when first asked for (brotli and gzip, off the event loop), and sent as the browser
 * accepts.
 */
export async function webRoutes(): Promise<Router> {
  const result = await build(webBuildOptions);
  const js = result.outputFiles[0]!.text;
  // the base sheet, then one sheet per part of the app (styles/*.css, in name order)
  const parts = existsSync(`${WEB}styles`)
    ? readdirSync(`${WEB}styles`)
        .filter((f) => f.endsWith('.css'))
        .sort()
    : [];
  const css = [`${WEB}styles.css`, ...parts.map((f) => `${WEB}styles/${f}`)]
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  const jsPath = `/app.${contentHash(js)}.js`;
  const cssPath = `/styles.${contentHash(css)}.css`;
  const html = readFileSync(`${WEB}index.html`, 'utf8')
    .replace('href="/styles.css"', `href="${cssPath}"`)
    .replace('src="/app.js"', `src="${jsPath}"`);
  if (!html.includes(jsPath) || !html.includes(cssPath)) {
    throw new Error('dashboard/web/index.html must link /styles.css and /app.js');
  }
  const page = asset('text/html; charset=utf-8', html, 'no-cache');
  const assets = new Map<string, Asset>([
    [jsPath, asset('text/javascript; charset=utf-8', js, IMMUTABLE)],
    [cssPath, asset('text/css; charset=utf-8', css, IMMUTABLE)],
    ['/', page],
    ['/index.html', page],
  ]);
  const router = express.Router();
  router.get([...assets.keys()], async (req, res) => {
    const file = assets.get(req.path)!;
    let encoding = chooseEncoding(req.headers['accept-encoding']);
    let body: Buffer;
    try {
      body = await file.body(encoding);
    } catch {
      // compression failed (out of memory): the plain file is still the right answer
      encoding = 'identity';
      body = await file.body(encoding);
    }
    res.set(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; media-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    res.set('x-content-type-options', 'nosniff');
    res.set('referrer-policy', 'no-referrer');
    res.set('cache-control', file.cacheControl);
    res.set('vary', 'Accept-Encoding');
    res.set('content-type', file.type);
    if (encoding !== 'identity') res.set('content-encoding', encoding);
    res.send(body);
  });
  return router;
}
