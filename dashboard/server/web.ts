import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express, { type Router } from 'express';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The browser app, bundled in memory by esbuild when the server starts: no build step for anyone
 * who runs `npm start`, and the page is always the code that is checked in.
 */
export async function webRoutes(): Promise<Router> {
  const result = await build({
    entryPoints: [`${WEB}src/main.ts`],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
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
  const html = readFileSync(`${WEB}index.html`, 'utf8');
  const router = express.Router();
  const security = (res: express.Response) => {
    res.set(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; media-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    res.set('x-content-type-options', 'nosniff');
    res.set('referrer-policy', 'no-referrer');
  };
  router.get('/app.js', (_req, res) => {
    security(res);
    res.type('text/javascript').send(js);
  });
  router.get('/styles.css', (_req, res) => {
    security(res);
    res.type('text/css').send(css);
  });
  router.get(['/', '/index.html'], (_req, res) => {
    security(res);
    res.type('text/html').send(html);
  });
  return router;
}
