import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the home gateway into one ES module for a small Linux box (Raspberry Pi class):
 * `node dist/tryghed-gateway.mjs --config tryghed-gateway.json`. better-sqlite3 is native and stays
 * outside: install it beside the bundle (`npm install better-sqlite3@12`) or run from a checkout.
 */
export async function buildGateway(outfile = join(root(), 'dist', 'tryghed-gateway.mjs')): Promise<string> {
  await build({
    entryPoints: [join(root(), 'gateway', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    // some dependencies are CommonJS and call require(); give the module one
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

function root(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildGateway(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${out}`);
}
