// The layer rules of docs/architecture.md, enforced: every relative import in src/ (static, type-only,
// re-export or dynamic) stays in its layer or goes to a lower one, no import cycle exists, and
// only the layers marked `driver` import a database driver.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The one table of the rules, lowest first. A file may import files of its own layer and of any
 * layer of a lower rank; layers of the same rank are peers and do not import each other. `paths`
 * are src-relative folders or files (without .ts); the longest match wins. `../db` is the drizzle
 * schema and migrations beside src/, part of the store. `driver`: may import bun:sqlite or drizzle-orm
 * (auth and sealing still keep their own tables; they move behind the store interface with it).
 */
const LAYERS = [
  { layer: 'base', rank: 0, paths: ['util', 'errors', 'log', 'version', 'assets.d'] },
  // Browser code of the web console: a peer of base, so it imports no server module at all.
  { layer: 'console', rank: 0, paths: ['console'] },
  { layer: 'events', rank: 1, paths: ['events'] },
  { layer: 'store', rank: 2, paths: ['store', '../db'], driver: true },
  { layer: 'registry', rank: 3, paths: ['registry'] },
  { layer: 'auth', rank: 3, paths: ['auth'], driver: true },
  { layer: 'sealing', rank: 3, paths: ['sealing'], driver: true },
  { layer: 'resources', rank: 4, paths: ['resources'] },
  { layer: 'watch', rank: 5, paths: ['watch'] },
  { layer: 'providers', rank: 6, paths: ['runtime/models', 'runtime/tools', 'runtime/egress', 'runtime/memory'] },
  { layer: 'runtime', rank: 7, paths: ['runtime'] },
  { layer: 'controllers', rank: 8, paths: ['controllers'] },
  { layer: 'api', rank: 8, paths: ['api', 'capabilities'] },
  { layer: 'composition', rank: 9, paths: ['cli', 'core', 'server', 'main'] },
] as const;

const DRIVERS = ['bun:sqlite', 'drizzle-orm'];

type Layer = (typeof LAYERS)[number];
/** `from` imports `to`; both src-relative without .ts (`to` may leave src, e.g. ../db/schema). */
interface Edge {
  from: string;
  to: string;
  /** `import type`, `export type` or only `type` specifiers: gone at run time. */
  typeOnly?: boolean;
}

const SRC = resolve(import.meta.dir, '../../src');

function layerOf(path: string): Layer | undefined {
  let best: { layer: Layer; length: number } | undefined;
  for (const layer of LAYERS) {
    for (const p of layer.paths) {
      if ((path === p || path.startsWith(`${p}/`)) && p.length > (best?.length ?? -1)) best = { layer, length: p.length };
    }
  }
  return best?.layer;
}

/**
 * The module specifiers of one file, parsed by the compiler: import/export … from (also type-only),
 * import '…', import('…') and import('…') types; never a specifier inside a comment or a string.
 */
function specifiers(text: string): { spec: string; typeOnly: boolean }[] {
  const found: { spec: string; typeOnly: boolean }[] = [];
  const allTypes = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) => elements.length > 0 && elements.every((e) => e.isTypeOnly);
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && allTypes(c.namedBindings.elements)));
      found.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (!!node.exportClause && ts.isNamedExports(node.exportClause) && allTypes(node.exportClause.elements));
      found.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ spec: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ spec: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  return found;
}

/** Every relative import of every .ts file under src/, resolved to src-relative paths; and package imports. */
function importEdges(): { files: string[]; edges: Edge[]; packages: Edge[] } {
  const files = (readdirSync(SRC, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split('\\').join('/').replace(/\.ts$/, ''))
    .sort();
  const edges: Edge[] = [];
  const packages: Edge[] = [];
  for (const from of files) {
    for (const { spec, typeOnly } of specifiers(readFileSync(join(SRC, `${from}.ts`), 'utf8'))) {
      if (!spec.startsWith('.')) {
        packages.push({ from, to: spec, typeOnly });
        continue;
      }
      const to = relative(SRC, resolve(SRC, dirname(from), spec)).split('\\').join('/').replace(/\.ts$/, '');
      edges.push({ from, to, typeOnly });
    }
  }
  return { files, edges, packages };
}

/** Edges that go up, or sideways to a peer layer, as `file → import (layer → layer)`. */
function upwardEdges(edges: Edge[]): string[] {
  const bad: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (!a || !b || a === b || b.rank < a.rank) continue;
    bad.push(`${from} → ${to} (${a.layer} → ${b.layer})`);
  }
  return bad;
}

/** Cycles among the nodes of a directed graph, each as a closed path (a → b → a). */
function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    path.push(n);
    for (const m of [...(graph.get(n) ?? [])].sort()) {
      if (state.get(m) === 'open') found.push([...path.slice(path.indexOf(m)), m].join(' → '));
      else if (!state.has(m)) visit(m);
    }
    path.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

function graphOf(edges: Edge[], node: (path: string) => string | undefined): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = node(from);
    const b = node(to);
    if (!a || !b || a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  return graph;
}

const layerCycles = (edges: Edge[]) => cycles(graphOf(edges, (p) => layerOf(p)?.layer));

/** Package imports of a database driver from a layer not marked `driver`. */
const driverImports = (packages: Edge[]) =>
  packages.filter(({ from, to }) => DRIVERS.some((d) => to === d || to.startsWith(`${d}/`)) && !(layerOf(from) as { driver?: boolean } | undefined)?.driver).map(({ from, to }) => `${from} → ${to}`);

describe('layers (docs/architecture.md)', () => {
  const { files, edges, packages } = importEdges();

  test('every file under src/ belongs to a layer of the table', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => !layerOf(f))).toEqual([]);
  });

  test('no import goes up a layer or across to a peer', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(upwardEdges(edges)).toEqual([]);
  });

  test('no import cycle between layers', () => {
    expect(layerCycles(edges)).toEqual([]);
  });

  // Type-only imports vanish at run time, so only the others can break module initialisation.
  test('no import cycle between files (type-only imports aside)', () => {
    const inSrc = new Set(files);
    const file = (p: string) => (inSrc.has(p) ? p : inSrc.has(`${p}/index`) ? `${p}/index` : undefined);
    expect(cycles(graphOf(edges.filter((e) => !e.typeOnly), file))).toEqual([]);
  });

  test('no database driver outside the store (and the layers marked driver)', () => {
    expect(packages.some((p) => p.to === 'drizzle-orm')).toBe(true);
    expect(driverImports(packages)).toEqual([]);
  });

  test('the parser sees every kind of import and no specifier in a comment or a string', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "import { type C, type D } from './cd';",
      "import e, { type E } from './e';",
      "export * from './f';",
      "export type { G } from './g';",
      "import './side-effect';",
      "const h = await import('./h');",
      "let i: import('./i').I;",
      "// import { z } from './comment';",
      "const s = \"import('./string')\";",
    ].join('\n');
    expect(specifiers(text)).toEqual([
      { spec: './a', typeOnly: false },
      { spec: '../b', typeOnly: true },
      { spec: './cd', typeOnly: true },
      { spec: './e', typeOnly: false },
      { spec: './f', typeOnly: false },
      { spec: './g', typeOnly: true },
      { spec: './side-effect', typeOnly: false },
      { spec: './h', typeOnly: false },
      { spec: './i', typeOnly: true },
    ]);
  });

  test('the rules catch an upward import, a peer import and a cycle', () => {
    const bad: Edge[] = [
      { from: 'store/task-journal', to: 'runtime/engine/types' },
      { from: 'registry/registry', to: 'auth/roles' },
      { from: 'auth/roles', to: 'registry/kind' },
      { from: 'runtime/engine/index', to: 'store/task-journal' },
      { from: 'store/event-log', to: '../db/schema' },
    ];
    expect(upwardEdges(bad)).toEqual([
      'store/task-journal → runtime/engine/types (store → runtime)',
      'registry/registry → auth/roles (registry → auth)',
      'auth/roles → registry/kind (auth → registry)',
    ]);
    expect(layerCycles(bad)).toEqual(['auth → registry → auth', 'runtime → store → runtime']);
    expect(driverImports([{ from: 'api/system-routes', to: 'bun:sqlite' }, { from: 'store/database', to: 'drizzle-orm/bun-sqlite' }])).toEqual(['api/system-routes → bun:sqlite']);
  });
});
