// Who may touch which of the store's tables (issue 8 point 1), read from the source with the
// TypeScript parser (no type checking, so it is quick). Used by test/arrows.test.ts.
import { posix } from 'node:path';
import ts from 'typescript';

/**
 * repository (a member of `Store`) → the paths allowed to use it: a folder (ending in `/`) or one
 * file. `services/store/` itself is always allowed.
 */
export type OwnershipMap = Readonly<Record<string, readonly string[]>>;

export interface OwnershipRules {
  owners: OwnershipMap;
  /** the entity types that live in `services/domain` and may not be imported from the store */
  entityTypes: ReadonlySet<string>;
  /** paths that may hold the whole `Store` (open it, hand it to its owners) without touching a table */
  storeHolders: readonly string[];
}

/** an import of the store's public face or its types, resolved from the importing file */
const isStoreModule = (file: string, spec: string) =>
  spec.startsWith('.') &&
  /^services\/store(\/(index|types)\.ts)?$/.test(posix.join(posix.dirname(file), spec));
/** the expression a repository is read from: `store`, `o.store`, `ctx.store`, `this.store` */
const STORE_EXPRESSION = /(^|\.)store$/;

const allowedBy = (paths: readonly string[], file: string) =>
  file.startsWith('services/store/') ||
  paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));

/** The repositories `Store` declares (its members typed `…Repository`), read from the store's types. */
export function storeRepositories(typesSource: string): Map<string, string> {
  const source = ts.createSourceFile('types.ts', typesSource, ts.ScriptTarget.Latest, true);
  const repos = new Map<string, string>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'Store') return;
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !member.type || !ts.isIdentifier(member.name)) continue;
      const type = member.type.getText(source);
      if (type.endsWith('Repository')) repos.set(member.name.text, type);
    }
  });
  return repos;
}

/**
 * Every place in one file that breaks the ownership rules, as "file:line: what". Finds a
 * repository read off a store (`ctx.store.users`, `const { alerts } = store`) or typed as
 * `Store['alerts']`, a repository
 * interface or an entity type imported from the store, and the whole `Store` held outside its holders.
 */
export function ownershipViolations(
  file: string,
  text: string,
  repositories: ReadonlyMap<string, string>,
  rules: OwnershipRules,
): string[] {
  if (file.startsWith('services/store/')) return [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const interfaceOwner = new Map([...repositories].map(([repo, type]) => [type, repo]));
  const found: string[] = [];
  const at = (node: ts.Node) =>
    `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const useOf = (repo: string, node: ts.Node, how: string) => {
    if (!allowedBy(rules.owners[repo] ?? [], file))
      found.push(`${at(node)}: ${how} (owned by ${ownerName(rules, repo)})`);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && repositories.has(node.name.text)) {
      if (STORE_EXPRESSION.test(node.expression.getText(source)))
        useOf(node.name.text, node, `${node.getText(source)} reads the ${node.name.text} table`);
    }
    if (
      ts.isIndexedAccessTypeNode(node) &&
      node.objectType.getText(source) === 'Store' &&
      ts.isLiteralTypeNode(node.indexType) &&
      ts.isStringLiteral(node.indexType.literal) &&
      repositories.has(node.indexType.literal.text)
    ) {
      useOf(node.indexType.literal.text, node, `types a repository as ${node.getText(source)}`);
    }
    if (
      ts.isVariableDeclaration(node) &&
      ts.isObjectBindingPattern(node.name) &&
      node.initializer &&
      STORE_EXPRESSION.test(node.initializer.getText(source))
    ) {
      for (const element of node.name.elements) {
        const name = (element.propertyName ?? element.name).getText(source);
        if (repositories.has(name)) useOf(name, element, `takes ${name} out of the store`);
      }
    }
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      isStoreModule(file, node.moduleSpecifier.text)
    ) {
      const named = node.importClause?.namedBindings;
      if (named && ts.isNamedImports(named)) {
        for (const spec of named.elements) {
          const name = (spec.propertyName ?? spec.name).text;
          const repo = interfaceOwner.get(name);
          if (repo) useOf(repo, spec, `imports ${name}`);
          if (rules.entityTypes.has(name))
            found.push(`${at(spec)}: imports ${name} from the store (it lives in services/domain)`);
          if (
            name === 'Store' &&
            !allowedBy([...rules.storeHolders, ...Object.values(rules.owners).flat()], file)
          )
            found.push(`${at(spec)}: holds the whole Store (only its owners and the composition roots may)`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function ownerName(rules: OwnershipRules, repo: string): string {
  const owners = rules.owners[repo];
  return owners?.length ? owners.join(', ') : 'nobody: add it to the ownership map';
}
