import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The agent's layers, lowest first (drawn in docs/architecture.md). A file may import from its own
 * folder or from a strictly lower layer; two folders on one layer know nothing of each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['clock.ts', 'deadline.ts', 'errors.ts', 'package-version.ts', 'timers.ts', 'checks/'],
  ['config/', 'log/', 'metrics/'],
  ['kube/', 'upstream/'],
  ['auth/', 'associations/'],
  ['exchange/', 'limits/'],
  ['cache/', 'pods/'],
  ['routes/', 'server/', 'probes/', 'init/'],
  ['webhook/'],
  ['app.ts'],
  ['server-deps.ts'],
  ['main.ts'],
];

/** Relative import specifiers of a source text: static, type-only, re-exports and `import()`. */
function importsOf(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
}

/** The unit a file belongs to: its top folder (`auth/`) or, at the root, the file itself. */
function unitOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash + 1);
}

/** Import graph of `files` (path relative to the agent folder → its source text). */
function graphOf(files: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, source] of files) {
    const targets = importsOf(source).map((spec) =>
      posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** Every import that points to a unit on the same or a higher layer, or to no layer at all. */
function layerViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const layerOf = (file: string): number => LAYERS.findIndex((units) => units.includes(unitOf(file)));
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    if (layerOf(file) === -1) problems.push(`${file} is in no layer`);
    for (const target of targets) {
      if (unitOf(target) === unitOf(file)) continue;
      if (layerOf(target) === -1 || layerOf(target) >= layerOf(file)) problems.push(`${file} -> ${target}`);
    }
  }
  return problems;
}

/** The import cycles of `graph`, each as `a -> b -> a`. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    const at = path.indexOf(file);
    if (at !== -1) {
      found.push([...path.slice(at), file].join(' -> '));
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const target of graph.get(file) ?? []) visit(target);
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return found;
}

function agentSources(): Map<string, string> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'agent');
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts')) continue;
    const file = relative(root, join(root, entry)).split('\\').join('/');
    files.set(file, readFileSync(join(root, entry), 'utf8'));
  }
  return files;
}

describe('the layers of agent/', () => {
  const graph = graphOf(agentSources());

  it('has every import pointing to its own folder or a lower layer', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(layerViolations(graph)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(cycles(graph)).toEqual([]);
  });
});

describe('the layer check', () => {
  const fake = (files: Record<string, string>) => graphOf(new Map(Object.entries(files)));

  it('reports an import from a lower layer up to a higher one', () => {
    const graph = fake({
      'log/logger.ts': "import type { PodIdentity } from '../auth/token-verifier.js';",
      'auth/token-verifier.ts': "import { createLogger } from '../log/logger.js';",
    });
    expect(layerViolations(graph)).toEqual(['log/logger.ts -> auth/token-verifier.ts']);
  });

  it('reports an import between two folders of one layer, a dynamic one included', () => {
    const graph = fake({ 'cache/a.ts': "const m = await import('../pods/b.js');", 'pods/b.ts': '' });
    expect(layerViolations(graph)).toEqual(['cache/a.ts -> pods/b.ts']);
  });

  it('reports a folder that is in no layer', () => {
    expect(layerViolations(fake({ 'misc/x.ts': '' }))).toEqual(['misc/x.ts is in no layer']);
  });

  it('reports a cycle inside one folder', () => {
    const graph = fake({
      'auth/a.ts': "import { b } from './b.js';",
      'auth/b.ts': "export { a } from './a.js';",
    });
    expect(cycles(graph)).toEqual(['auth/a.ts -> auth/b.ts -> auth/a.ts']);
  });
});
