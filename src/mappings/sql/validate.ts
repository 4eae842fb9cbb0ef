import { distance } from 'fastest-levenshtein';
import { checkParts } from './compile.js';
import type { MappingDefinition, MappingProblem, SourceCatalog } from './definition.js';

/**
 * Everything wrong with a mapping, without compiling it: the parser's
 * problems (compile.ts `checkParts`), then — when the source's schema is
 * cached — unknown tables and columns with near names suggested. A table is
 * found by its schema-qualified name (`crm.customers`) or its bare name; a
 * mapping whose source table is not cached at all gets no column checks (we
 * cannot know), only an UNKNOWN_TABLE problem when the catalog is known.
 */
export async function validateDefinition(def: MappingDefinition, catalog: SourceCatalog | null): Promise<MappingProblem[]> {
  const parts = await checkParts(def);
  const problems = [...parts.problems];
  if (!catalog) return problems;
  const cteNames = new Set(def.cteDefinitions.map((c) => c.name.toLowerCase()));
  const tableOf = (name: string) => findTable(catalog, name);

  // CTE bodies: the tables they read must be cached tables or earlier CTEs.
  for (const cte of def.cteDefinitions) {
    const parsed = parts.ctes.get(cte.name);
    if (!parsed) continue;
    const own = new Set(parsed.cteNames.map((n) => n.toLowerCase()));
    for (const t of parsed.tables) {
      const qualified = t.schema ? `${t.schema}.${t.name}` : t.name;
      if (!t.schema && (cteNames.has(t.name.toLowerCase()) || own.has(t.name.toLowerCase()))) continue;
      if (!tableOf(qualified)) problems.push(unknownTable(['cteDefinitions', cte.name, 'sql'], qualified, catalog, t.location));
    }
  }

  // Field sources and transforms read the source table (or the CTE named as source).
  if (cteNames.has(def.sourceTable.toLowerCase())) return problems;
  const table = tableOf(def.sourceTable);
  if (!table) {
    problems.push(unknownTable(['sourceTable'], def.sourceTable, catalog, null));
    return problems;
  }
  const columns = table.columns.map((c) => c.name);
  const label = table.schema ? `${table.schema}.${table.name}` : table.name;
  for (const [field, m] of Object.entries(def.fieldMappings)) {
    const parsed = parts.transforms.get(field);
    if (parsed) {
      for (const ref of parsed.columns) if (!hasColumn(columns, ref.name)) problems.push(unknownColumn(['fieldMappings', field, 'transform'], ref.name, label, columns, ref.location));
    } else if (m.transform == null && m.source && !hasColumn(columns, m.source)) {
      problems.push(unknownColumn(['fieldMappings', field, 'source'], m.source, label, columns, null));
    }
  }
  return problems;
}

const hasColumn = (columns: string[], name: string) => columns.includes(name) || columns.some((c) => c.toLowerCase() === name.toLowerCase());

function findTable(catalog: SourceCatalog, name: string) {
  const [a, b] = name.split('.');
  const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
  if (b !== undefined) return catalog.tables.find((t) => lower(t.schema) === lower(a) && lower(t.name) === lower(b));
  return catalog.tables.find((t) => lower(t.name) === lower(a));
}

/** The closest names within an edit distance of a third of the name (at least 2). */
export function nearNames(name: string, candidates: string[]): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return candidates
    .map((c) => ({ c, d: distance(name.toLowerCase(), c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, 3)
    .map((x) => x.c);
}

function unknownColumn(path: string[], name: string, table: string, columns: string[], position: number | null): MappingProblem {
  const near = nearNames(name, columns);
  const listed = columns.length > 10 ? `${columns.slice(0, 10).join(', ')}, …` : columns.join(', ');
  return {
    path,
    code: 'unknown_column',
    message: `unknown column ${name}; ${table} has ${listed}`,
    position,
    suggestion: near.length ? `did you mean ${near.join(' or ')}?` : null,
  };
}

function unknownTable(path: string[], name: string, catalog: SourceCatalog, position: number | null): MappingProblem {
  const names = catalog.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name));
  const near = nearNames(name, names);
  return { path, code: 'unknown_table', message: `unknown table ${name} in the source's cached schema`, position, suggestion: near.length ? `did you mean ${near.join(' or ')}?` : null };
}
