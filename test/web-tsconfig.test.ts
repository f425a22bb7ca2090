import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The web app is checked as browser code: its own tsconfig with the DOM library and no Node types,
 * strict, TSX through Preact. A browser file that used `process` or `Buffer` would build on the
 * server's tsconfig and fail in the browser; here it fails the check.
 */
const ROOT = join(import.meta.dirname, '..');

function parse(configPath: string): ts.ParsedCommandLine {
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
}

const web = parse(join(ROOT, 'dashboard/web/tsconfig.json'));

function diagnostics(files: string[], host?: ts.CompilerHost): string[] {
  const program = ts.createProgram(files, web.options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    .sort();
}

describe('the web app tsconfig', () => {
  it('has browser types only: the DOM library, no @types/node, strict, Preact JSX', () => {
    expect(web.errors).toEqual([]);
    expect(web.options.types).toEqual([]);
    expect(web.options.strict).toBe(true);
    expect(web.options.lib?.some((l) => /dom/i.test(l))).toBe(true);
    expect(web.options.jsxImportSource).toBe('preact');
    expect(web.fileNames.some((f) => f.endsWith('.tsx'))).toBe(true);
  });

  // The whole web app is type-checked with this config by `npm run check` (`tsc -p
  // dashboard/web/tsconfig.json`), which `npm test` runs first; here only what the config refuses.

  it('refuses Node in browser code (a positive control for the check above)', () => {
    const file = join(ROOT, 'dashboard/web/src/__node-in-the-browser.ts');
    const text = 'export const home = process.env.HOME;\nexport const bytes = Buffer.from("x");\n';
    const host = ts.createCompilerHost(web.options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) =>
      name === file ? ts.createSourceFile(name, text, version) : read(name, version, ...rest);
    host.fileExists = (
      (exists) => (name: string) =>
        name === file || exists(name)
    )(host.fileExists.bind(host));
    const found = diagnostics([file], host);
    expect(found.some((m) => m.startsWith("Cannot find name 'process'"))).toBe(true);
    expect(found.some((m) => m.startsWith("Cannot find name 'Buffer'"))).toBe(true);
  });

  it('is the only one that checks dashboard/web (the root tsconfig, with Node types, leaves it)', () => {
    const root = parse(join(ROOT, 'tsconfig.json'));
    expect(root.fileNames.filter((f) => relative(ROOT, f).startsWith('dashboard/web/'))).toEqual([]);
    expect(root.fileNames.some((f) => relative(ROOT, f).startsWith('dashboard/server/'))).toBe(true);
  });
});
