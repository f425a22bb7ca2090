import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { webBuildOptions } from '../dashboard/server/web.ts';
import {
  type ArrowRule,
  findCycles,
  forbiddenEdges,
  type ImportGraph,
  readImportGraph,
  readPackageImports,
} from './harness/import-graph.ts';
import { type OwnershipRules, ownershipViolations, storeRepositories } from './harness/ownership.ts';

/**
 * The allowed arrows between the project's parts (docs/architecture.md, "Which part may import
 * which"), checked on every test run instead of hoped for.
 */
const ROOT = join(import.meta.dirname, '..');
const FOLDERS = ['bin', 'platform', 'services', 'broker', 'gateway', 'dashboard', 'simulators', 'scripts'];
const EDGES = /^(broker|dashboard|gateway|platform|simulators|bin|scripts)\//;
const SHARED = 'services/domain/shared/';

const RULES: ArrowRule[] = [
  {
    name: 'a service imports an edge',
    from: (f) => f.startsWith('services/'),
    forbidden: (t) => EDGES.test(t),
  },
  {
    name: 'the domain imports something of ours outside itself',
    from: (f) => f.startsWith('services/domain/'),
    forbidden: (t) => !t.startsWith('services/domain/'),
  },
  {
    name: 'the shared folder imports outside itself',
    from: (f) => f.startsWith(SHARED),
    forbidden: (t) => !t.startsWith(SHARED),
  },
  {
    name: 'the browser bundle imports outside dashboard/web and the shared folder',
    from: (f) => f.startsWith('dashboard/web/'),
    forbidden: (t) => !t.startsWith('dashboard/web/') && !t.startsWith(SHARED),
  },
];

/**
 * Each service owns its tables (docs/architecture.md, "Who owns which table"): a repository is
 * used only inside `services/store` and its owner. The dashboard's session and login-limit parts own
 * theirs; `dashboard/server/index.ts` builds them (and the services it hands the dashboard) from the store.
 */
const OWNERSHIP: OwnershipRules = {
  owners: {
    homes: ['services/registry/'],
    devices: ['services/registry/'],
    powersOfAttorney: ['services/registry/'],
    users: ['services/people/'],
    teams: ['services/people/'],
    consent: ['services/consent/'],
    alerts: ['services/alerts/'],
    notifications: ['services/alerts/'],
    audit: ['services/audit/'],
    erasures: ['services/erasure/'],
    responderCards: ['services/responder-cards/'],
    sessions: ['dashboard/server/sessions.ts', 'dashboard/server/index.ts'],
    loginLimits: ['dashboard/server/login-limit.ts', 'dashboard/server/index.ts'],
    ruleState: ['services/rules/'],
    escalationDeadlines: ['services/escalation/'],
    resendWindows: ['services/ingest/'],
    noticeOutbox: ['services/outbox/'],
  },
  entityTypes: new Set([
    'Home',
    'Device',
    'DeviceRole',
    'User',
    'UserRole',
    'USER_ROLES',
    'Team',
    'AuditEntry',
    'ErasureRequest',
  ]),
  // the composition roots open the store and hand it to the owners
  storeHolders: ['platform/', 'bin/', 'scripts/', 'dashboard/server/index.ts'],
};

/**
 * The npm packages the browser bundle may import: Preact and its signals (a few KB), nothing else.
 * zod, pino, node: built-ins or a server package would each make the bundle large or not run at all.
 */
const BROWSER_PACKAGES = ['preact', 'preact/hooks', 'preact/jsx-runtime', '@preact/signals'];
/** where in node_modules those packages (and what they import) live; node_modules may be a link */
const BROWSER_PACKAGE_DIRS =
  /^(\.\.\/)*([\w.-]+\/)*node_modules\/(preact|@preact\/signals|@preact\/signals-core)\//;

/** Browser files importing a package outside the allowed list, as "file: package". */
function foreignBrowserPackages(imports: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [file, names] of imports) {
    if (!file.startsWith('dashboard/web/')) continue;
    for (const name of names) if (!BROWSER_PACKAGES.includes(name)) found.push(`${file}: ${name}`);
  }
  return found.sort();
}

describe('the import graph', () => {
  const graph = readImportGraph(ROOT, FOLDERS);

  it('is read from the whole source (a sanity check that the reader sees the real edges)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('services/domain/sensors.ts')).toContain('services/domain/shared/sensor-kinds.ts');
    expect(graph.get('dashboard/web/src/home-view/strings.ts')).toContain(
      'services/domain/shared/sensor-kinds.ts',
    );
  });

  it('has no import cycle', () => {
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('follows the allowed arrows', () => {
    expect(forbiddenEdges(graph, RULES)).toEqual([]);
  });

  it('lets the browser code import no package but Preact and its signals', () => {
    const imports = readPackageImports(ROOT, ['dashboard/web']);
    expect(imports.size).toBeGreaterThan(30);
    expect(foreignBrowserPackages(imports)).toEqual([]);
  });

  it('bundles only dashboard/web, the shared folder and Preact (what esbuild really read)', async () => {
    const result = await build({ ...webBuildOptions, minify: false, metafile: true });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.startsWith('dashboard/web/src/'))).toBe(true);
    const foreign = inputs.filter(
      (i) => !i.startsWith('dashboard/web/') && !i.startsWith(SHARED) && !BROWSER_PACKAGE_DIRS.test(i),
    );
    expect(foreign).toEqual([]);
  });

  it('keeps the shared folder free of packages (no zod in the browser bundle through it)', () => {
    const packages: string[] = [];
    for (const file of graph.keys()) {
      if (!file.startsWith(SHARED)) continue;
      const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
      for (const ref of info.importedFiles)
        if (!ref.fileName.startsWith('.')) packages.push(`${file}: ${ref.fileName}`);
    }
    expect(packages).toEqual([]);
  });
});

describe('table ownership', () => {
  const graph = readImportGraph(ROOT, FOLDERS);
  const repositories = storeRepositories(readFileSync(join(ROOT, 'services/store/types.ts'), 'utf8'));

  it('gives every repository of the store an owner', () => {
    expect(repositories.size).toBeGreaterThanOrEqual(13);
    expect([...repositories.keys()].sort()).toEqual(Object.keys(OWNERSHIP.owners).sort());
  });

  it('lets no file outside services/store and the owner touch a table', () => {
    const found: string[] = [];
    for (const file of graph.keys())
      found.push(
        ...ownershipViolations(file, readFileSync(join(ROOT, file), 'utf8'), repositories, OWNERSHIP),
      );
    expect(found).toEqual([]);
  });

  it('finds a table used past its owner, a repository or entity type imported from the store (positive control)', () => {
    const offending = [
      "import type { AuditRepository, Home } from '../../../services/store/index.ts';",
      "import type { Store } from '../../../services/store/index.ts';",
      'export async function f(ctx: { store: Store }, store: Store) {',
      '  await ctx.store.alerts.openedBetween(0, 1);',
      '  const { users, teams: t } = store;',
      "  const h: Store['homes'] | null = null;",
      '  return this.store.audit;',
      '}',
    ].join('\n');
    expect(
      ownershipViolations('dashboard/server/routes/oversight.ts', offending, repositories, OWNERSHIP),
    ).toEqual([
      'dashboard/server/routes/oversight.ts:1: imports AuditRepository (owned by services/audit/)',
      'dashboard/server/routes/oversight.ts:1: imports Home from the store (it lives in services/domain)',
      'dashboard/server/routes/oversight.ts:2: holds the whole Store (only its owners and the composition roots may)',
      'dashboard/server/routes/oversight.ts:4: ctx.store.alerts reads the alerts table (owned by services/alerts/)',
      'dashboard/server/routes/oversight.ts:5: takes users out of the store (owned by services/people/)',
      'dashboard/server/routes/oversight.ts:5: takes teams out of the store (owned by services/people/)',
      "dashboard/server/routes/oversight.ts:6: types a repository as Store['homes'] (owned by services/registry/)",
      'dashboard/server/routes/oversight.ts:7: this.store.audit reads the audit table (owned by services/audit/)',
    ]);
    // the owner itself may, and so may the store
    const own =
      "import type { Store } from '../store/index.ts';\nconst x = (store: Store) => store.users.list();";
    expect(ownershipViolations('services/people/index.ts', own, repositories, OWNERSHIP)).toEqual([]);
    expect(ownershipViolations('services/registry/index.ts', own, repositories, OWNERSHIP)).toEqual([
      'services/registry/index.ts:2: store.users reads the users table (owned by services/people/)',
    ]);
  });
});

describe('the checker itself (positive controls: it can fail)', () => {
  it('finds a cycle and reports its path', () => {
    const graph: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('finds a service importing an edge and the browser importing server code', () => {
    const graph: ImportGraph = new Map([
      ['services/rules/engine.ts', ['dashboard/server/context.ts', 'services/domain/index.ts']],
      ['services/domain/alert.ts', ['services/runtime/index.ts']],
      [
        'dashboard/web/src/app.ts',
        ['services/domain/sensors.ts', `${SHARED}sensor-kinds.ts`, 'dashboard/web/src/i18n.ts'],
      ],
    ]);
    expect(forbiddenEdges(graph, RULES)).toEqual([
      'a service imports an edge: services/rules/engine.ts -> dashboard/server/context.ts',
      'the browser bundle imports outside dashboard/web and the shared folder: dashboard/web/src/app.ts -> services/domain/sensors.ts',
      'the domain imports something of ours outside itself: services/domain/alert.ts -> services/runtime/index.ts',
    ]);
  });

  it('finds a browser file importing a package outside the allowed list', () => {
    const imports = new Map([
      ['dashboard/web/src/a.tsx', ['preact', 'preact/hooks', 'zod']],
      ['dashboard/web/src/b.ts', ['node:fs']],
      ['services/domain/x.ts', ['zod']],
    ]);
    expect(foreignBrowserPackages(imports)).toEqual([
      'dashboard/web/src/a.tsx: zod',
      'dashboard/web/src/b.ts: node:fs',
    ]);
  });

  it('reads type-only and re-export imports as edges too', () => {
    const text =
      "import type { A } from './a.ts';\nexport { B } from './b.ts';\nconst c = await import('./c.ts');\n";
    const names = ts.preProcessFile(text, true, true).importedFiles.map((r) => r.fileName);
    expect(names).toEqual(['./a.ts', './b.ts', './c.ts']);
  });
});
