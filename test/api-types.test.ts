import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes, servedApiDocument } from '../scripts/api-types.ts';

/**
 * The browser's API types are generated from the document the server serves, and the committed
 * file is that generation: a route whose schema changed without `npm run api:types` fails here.
 */
describe('the web app API types', () => {
  it('are what the server documents now (run `npm run api:types` when this fails)', async () => {
    const generated = await generateApiTypes();
    expect(generated).toContain('export interface paths');
    expect(readFileSync(API_TYPES_FILE, 'utf8') === generated).toBe(true);
  }, 60_000);

  it('come from the served document, every route of it (a positive control for the comparison)', async () => {
    const document = await servedApiDocument();
    const types = readFileSync(API_TYPES_FILE, 'utf8');
    const paths = Object.keys(document.paths ?? {});
    expect(paths.length).toBeGreaterThan(40);
    for (const path of paths) expect(types).toContain(`"${path}": {`);
  }, 60_000);
});
