/**
 * `npm run lint` runs this: imports between the folders of src/ must point one
 * way. A folder (or a file directly in src/) may import only from its own
 * layer or a lower one, never from a higher one, and no set of folders may
 * import each other in a cycle. A new folder must be given a layer here.
 *
 *   tsx scripts/check-layers.ts [srcDir]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Bottom first. ARCHITECTURE.md ("Layers") describes the same layers. */
const LAYERS: readonly (readonly string[])[] = [
  // primitives: no knowledge of the database or of requests
  ['errors', 'validation', 'config', 'logger', 'settings', 'crypto', 'cli'],
  // Kysely connection, table types, pagination, migrations, database availability
  ['db'],
  // outbound connections to customers' sources and warehouses: address policy, drivers, introspection
  ['connectors'],
  // the process's life: draining, in-flight requests' database work, the GraphQL execution gate, slices of the event loop
  ['lifecycle', 'execution-gate', 'event-loop'],
  // tenant schema handles
  ['tenancy'],
  // who is acting (actor, scope, services type) and credential primitives (tokens, passwords, API keys, TOTP)
  ['auth'],
  ['audit'],
  // domains: DAO + manager each; a domain may use a lower domain's DAO
  ['users', 'service-accounts', 'workspaces'],
  ['organizations', 'data-sources', 'warehouses', 'mappings', 'jobs'],
  // workspace schedules: their ticks queue jobs through the jobs manager
  ['schedules'],
  // sign-up, login, refresh, MFA, authenticating a request
  ['sessions'],
  // organization export and import
  ['backup'],
  // live updates: the job-events listener (LISTEN/NOTIFY) and the job feeds subscriptions read
  ['live'],
  // the GraphQL schema and GraphiQL page; Prometheus metrics
  ['graphql', 'graphiql', 'metrics'],
  // composition root, HTTP server, operator tools
  ['services', 'server', 'admin', 'operations', 'worker'],
  ['main'],
];

interface Violation {
  from: string;
  to: string;
  files: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `import … from './x.js'`, `export … from`, `import './x.js'` and `import('./x.js')`. */
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\s*\(?\s*['"](\.[^'"]+)['"]/g;

/** The folder graph of `root`: folder → folder it imports → files that do. */
function folderGraph(root: string): Map<string, Map<string, Set<string>>> {
  const unitOf = (file: string) => {
    const parts = path.relative(root, file).split(path.sep);
    return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.(ts|tsx|mts)$/, '');
  };
  const graph = new Map<string, Map<string, Set<string>>>();
  for (const file of sourceFiles(root)) {
    const from = unitOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), (match[1] ?? match[2]!).replace(/\.js$/, '.ts'));
      if (!target.startsWith(root + path.sep)) continue;
      const to = unitOf(target);
      if (to === from) continue;
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, new Set());
      edges.get(to)!.add(path.relative(root, file));
    }
  }
  return graph;
}

/** Strongly connected sets of more than one folder (Tarjan). */
function folderCycles(graph: Map<string, Map<string, Set<string>>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1) cycles.push(set.sort());
    }
  };
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flatMap((edges) => [...edges.keys()])]);
  for (const v of nodes) if (!index.has(v)) visit(v);
  return cycles;
}

/** Imports that point up the layers, and folders with no layer. */
function layerViolations(graph: Map<string, Map<string, Set<string>>>): { upward: Violation[]; unplaced: string[] } {
  const rank = new Map(LAYERS.flatMap((layer, i) => layer.map((unit) => [unit, i] as const)));
  const upward: Violation[] = [];
  const unplaced = new Set<string>();
  for (const [from, edges] of graph) {
    if (!rank.has(from)) unplaced.add(from);
    for (const [to, files] of edges) {
      if (!rank.has(to)) unplaced.add(to);
      else if (rank.has(from) && rank.get(to)! > rank.get(from)!) upward.push({ from, to, files: [...files] });
    }
  }
  return { upward, unplaced: [...unplaced].sort() };
}

{
  const root = path.resolve(process.argv[2] ?? 'src');
  const graph = folderGraph(root);
  const cycles = folderCycles(graph);
  const { upward, unplaced } = layerViolations(graph);
  for (const cycle of cycles) {
    console.error(`folder cycle: ${cycle.join(' <-> ')}`);
    for (const from of cycle) {
      for (const [to, files] of graph.get(from) ?? []) if (cycle.includes(to)) console.error(`  ${from} -> ${to}: ${[...files].join(', ')}`);
    }
  }
  for (const v of upward) console.error(`upward import: ${v.from} -> ${v.to} (${v.files.join(', ')}); see LAYERS in scripts/check-layers.ts`);
  for (const unit of unplaced) console.error(`no layer for src/${unit}: add it to LAYERS in scripts/check-layers.ts`);
  if (cycles.length || upward.length || unplaced.length) process.exit(1);
  console.log(`layers ok: ${graph.size} folders, no cycles, no upward imports`);
}
