// The project's import graph, read from the source with the TypeScript compiler's pre-processor
// (no type checking, so it is quick). Used by test/arrows.test.ts to check the allowed arrows.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Edges from a repo-relative file to the repo-relative files it imports (type imports too). */
export type ImportGraph = Map<string, string[]>;

const SKIP = new Set(['node_modules', '.git', 'dist', 'coverage', 'data']);

function sourceFiles(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(root, path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, path));
  }
}

function filesUnder(root: string, folders: readonly string[]): string[] {
  const files: string[] = [];
  for (const folder of folders) {
    const dir = join(root, folder);
    if (existsSync(dir)) sourceFiles(root, dir, files);
  }
  return files;
}

/** Reads every .ts/.tsx file under the given top folders of `root` and resolves its relative imports. */
export function readImportGraph(root: string, folders: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of filesUnder(root, folders)) {
    const text = readFileSync(join(root, file), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const targets: string[] = [];
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (!spec.startsWith('.')) continue; // a package or node: built-in (see readPackageImports)
      const target = relative(root, resolve(root, dirname(file), spec));
      targets.push(/\.tsx?$/.test(target) ? target : resolveBare(root, target));
    }
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The packages (and `node:` built-ins) each file imports, by the name it imports: `preact/hooks`,
 * `zod`, `node:fs`. The relative imports are the graph's; these are everything else.
 */
export function readPackageImports(root: string, folders: readonly string[]): Map<string, string[]> {
  const imports = new Map<string, string[]>();
  for (const file of filesUnder(root, folders)) {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    const names = info.importedFiles.map((r) => r.fileName).filter((n) => !n.startsWith('.'));
    imports.set(file, [...new Set(names)]);
  }
  return imports;
}

function resolveBare(root: string, target: string): string {
  for (const candidate of [`${target}.ts`, `${target}.tsx`, join(target, 'index.ts')]) {
    if (existsSync(join(root, candidate))) return candidate;
  }
  return target;
}

/** Every import cycle, each as a path that starts and ends at the same file (one per cycle's strongly connected part). */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** A rule over edges: files matching `from` may not import files matching `to` (unless `allowed`). */
export interface ArrowRule {
  readonly name: string;
  readonly from: (file: string) => boolean;
  readonly forbidden: (target: string) => boolean;
}

/** Every edge that breaks a rule, as "rule: from -> to". */
export function forbiddenEdges(graph: ImportGraph, rules: readonly ArrowRule[]): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of rules) {
      if (!rule.from(file)) continue;
      for (const target of targets) {
        if (rule.forbidden(target)) found.push(`${rule.name}: ${file} -> ${target}`);
      }
    }
  }
  return found.sort();
}
