import { runGatewayCli } from './run.ts';

/**
 * The gateway's own entry point, for the bundle that runs on the home's box
 * (`npm run gateway:build` → dist/tryghed-gateway.mjs): only the gateway's code, no TypeScript
 * loader, so it stays well under 100 MB of memory.
 */
runGatewayCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
