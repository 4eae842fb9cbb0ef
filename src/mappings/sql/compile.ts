import { createHash } from 'node:crypto';
import type { WarehouseDialect } from '../../workspaces/warehouse-dialects.js';
import type { MappingDefinition, MappingProblem } from './definition.js';
import { polyglotReady, quoteIdent, quoteQualified, translate } from './dialects.js';
import { identityConfigProblems, identityStatements, readIdentityConfig } from './identity-resolution.js';
import { checkCte, checkTransform, maskSafeCasts, parsePostgres, pgParserReady, type ParsedSql } from './pg-parse.js';

/**
 * A mapping compiled for one warehouse dialect.
 *
 * - `sql` is ONE SELECT, `WITH <ctes> SELECT <expr> AS <target>, … FROM <source>`. Whatever the
 *   dialect, it reads the mapping's SOURCE: for a full refresh the PostgreSQL compilation runs on the
 *   PostgreSQL data source and its rows are loaded into the warehouse table named `targetTable`
 *   (other dialects' `sql` is for sources that live in that warehouse).
 * - `statements` run IN THE WAREHOUSE, in order, after the rows are loaded: the decorators'
 *   work (identity resolution: see identity-resolution.ts). Empty when no decorator needs any.
 * - `referencedColumns`: the source-table columns the mapping reads (see `mappingColumns`).
 * - `checksum`: SHA-256 (hex) of the dialect, `sql` and `statements`; equal checksums, equal SQL.
 * - `problems`: when not empty, nothing was emitted (`sql` is null, `statements` empty): invalid
 *   input, or a construct that cannot be translated faithfully to this dialect (UNTRANSLATABLE).
 */
export interface CompiledMapping {
  dialect: WarehouseDialect;
  sql: string | null;
  statements: string[];
  referencedColumns: string[];
  checksum: string | null;
  problems: MappingProblem[];
}

/** PostgreSQL functions whose translation to the other dialects is known to keep their meaning. */
const PORTABLE_FUNCTIONS = new Set([
  'lower', 'upper', 'trim', 'ltrim', 'rtrim', 'concat', 'length', 'char_length', 'replace', 'abs', 'round', 'floor',
  'ceil', 'ceiling', 'mod', 'power', 'sqrt', 'sign', 'date', 'count', 'sum', 'min', 'max', 'avg', 'row_number', 'rank',
  'dense_rank', 'lag', 'lead', 'first_value', 'last_value', 'initcap', 'reverse', 'left', 'right', 'lpad', 'rpad', 'md5',
]);

export interface CheckedParts {
  problems: MappingProblem[];
  transforms: Map<string, ParsedSql>;
  ctes: Map<string, ParsedSql>;
}

/** Parses every transform and CTE once (syntax, shape, allowlist); the validator adds catalog checks. */
export async function checkParts(def: MappingDefinition): Promise<CheckedParts> {
  await pgParserReady();
  const problems: MappingProblem[] = [];
  const transforms = new Map<string, ParsedSql>();
  const ctes = new Map<string, ParsedSql>();
  for (const cte of def.cteDefinitions) {
    const r = checkCte(cte.sql, ['cteDefinitions', cte.name, 'sql']);
    problems.push(...r.problems);
    if (r.parsed) ctes.set(cte.name, r.parsed);
  }
  for (const [field, m] of Object.entries(def.fieldMappings)) {
    if (m.transform != null && m.transform.trim() !== '') {
      const r = checkTransform(m.transform, ['fieldMappings', field, 'transform']);
      problems.push(...r.problems);
      if (r.parsed) transforms.set(field, r.parsed);
    } else if (m.source == null || m.source.trim() === '') {
      problems.push({ path: ['fieldMappings', field], code: 'missing_expression', message: `${field} needs a source column or a transform`, position: null, suggestion: null });
    }
  }
  for (const [i, d] of def.decorators.entries()) {
    if (d.type !== 'identity_resolution') continue;
    const r = readIdentityConfig(d);
    const path = ['decorators', String(i), 'config'];
    if (!r.ok) problems.push({ path, code: 'invalid_decorator', message: r.message, position: null, suggestion: null });
    else for (const message of identityConfigProblems(r.config, Object.keys(def.fieldMappings))) problems.push({ path, code: 'invalid_decorator', message, position: null, suggestion: null });
  }
  return { problems, transforms, ctes };
}

const isCte = (def: MappingDefinition, name: string) => def.cteDefinitions.some((c) => c.name === name);

/**
 * The columns a mapping reads from its source table: the field sources and the
 * column references of the transforms when the source is a table, or the
 * column references inside the CTEs when the source is a CTE (a CTE's own
 * output names are then excluded). Sorted, unique, as written (unquoted names
 * are lower-cased by the parser). Unparseable parts contribute nothing.
 */
export async function mappingColumns(def: MappingDefinition): Promise<{ sourceTable: string; columns: string[] }> {
  const parts = await checkParts(def);
  return { sourceTable: def.sourceTable, columns: referenced(def, parts) };
}

function referenced(def: MappingDefinition, parts: CheckedParts): string[] {
  const cols = new Set<string>();
  if (isCte(def, def.sourceTable) || def.cteDefinitions.length > 0) for (const p of parts.ctes.values()) for (const c of p.columns) cols.add(c.name);
  if (!isCte(def, def.sourceTable)) {
    for (const [field, m] of Object.entries(def.fieldMappings)) {
      const t = parts.transforms.get(field);
      if (t) for (const c of t.columns) cols.add(c.name);
      else if (m.source) cols.add(m.source);
    }
  }
  return [...cols].sort();
}

function fieldExpression(def: MappingDefinition, field: string): string {
  const m = def.fieldMappings[field]!;
  return m.transform != null && m.transform.trim() !== '' ? `(${m.transform})` : quoteIdent(m.source!, 'postgresql');
}

/** The mapping's SELECT in PostgreSQL: the text every other dialect is translated from. */
function postgresSelect(def: MappingDefinition): string {
  const withClause = def.cteDefinitions.length
    ? `WITH ${def.cteDefinitions.map((c) => `${quoteIdent(c.name, 'postgresql')} AS (${c.sql})`).join(', ')} `
    : '';
  const list = Object.keys(def.fieldMappings).map((f) => `${fieldExpression(def, f)} AS ${quoteIdent(f, 'postgresql')}`);
  const from = isCte(def, def.sourceTable) ? quoteIdent(def.sourceTable, 'postgresql') : quoteQualified(def.sourceTable, 'postgresql');
  return `${withClause}SELECT ${list.join(', ')} FROM ${from}`;
}

const untranslatable = (path: string[], message: string): MappingProblem => ({ path, code: 'untranslatable', message, position: null, suggestion: null });

/**
 * Loads what compileMapping needs (both parsers' WASM) once per process. A
 * worker process awaits it before it claims a job: loading blocks the event
 * loop (for seconds on a busy machine), which the first jobs and their
 * heartbeats would otherwise wait out.
 */
export const compilerReady = async (): Promise<void> => {
  await Promise.all([pgParserReady(), polyglotReady()]);
};

/**
 * Compiles a mapping for `dialect`. PostgreSQL output is re-parsed by
 * libpg-query; other dialects' by polyglot's parser for that dialect.
 */
export async function compileMapping(def: MappingDefinition, dialect: WarehouseDialect): Promise<CompiledMapping> {
  const [parts] = await Promise.all([checkParts(def), polyglotReady()]);
  const referencedColumns = referenced(def, parts);
  const failed = (problems: MappingProblem[]): CompiledMapping => ({ dialect, sql: null, statements: [], referencedColumns, checksum: null, problems });
  if (parts.problems.length) return failed(parts.problems);

  if (dialect !== 'postgresql') {
    const problems = nonPortable(def, parts, dialect);
    if (problems.length) return failed(problems);
  }
  const pgSelect = postgresSelect(def);
  parsePostgres(maskSafeCasts(pgSelect)); // the assembled text must parse as PostgreSQL; a failure here is a bug, not bad input
  const pgStatements: string[] = [];
  for (const d of def.decorators) {
    if (d.type !== 'identity_resolution') continue;
    const r = readIdentityConfig(d);
    if (!r.ok) continue;
    const key = r.config.recordKey ?? Object.keys(def.fieldMappings)[0]!;
    pgStatements.push(...identityStatements(def.targetTable, r.config, key));
  }
  for (const s of pgStatements) parsePostgres(s);

  const select = translate(pgSelect, dialect);
  if (!select.ok) return failed([untranslatable([], select.message)]);
  if (dialect === 'postgresql') parsePostgres(select.sql); // safe casts rewritten: still PostgreSQL
  const statements: string[] = [];
  for (const s of pgStatements) {
    const t = translate(s, dialect);
    if (!t.ok) return failed([untranslatable(['decorators'], t.message)]);
    statements.push(t.sql);
  }
  const checksum = createHash('sha256').update(JSON.stringify([dialect, select.sql, statements])).digest('hex');
  return { dialect, sql: select.sql, statements, referencedColumns, checksum, problems: [] };
}

function nonPortable(def: MappingDefinition, parts: CheckedParts, dialect: WarehouseDialect): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const check = (path: string[], parsed: ParsedSql) => {
    for (const name of new Set(parsed.functions)) {
      if (!PORTABLE_FUNCTIONS.has(name)) problems.push(untranslatable(path, `${name}() has no translation to ${dialect} known to keep its meaning`));
    }
  };
  for (const [field, parsed] of parts.transforms) check(['fieldMappings', field, 'transform'], parsed);
  for (const [name, parsed] of parts.ctes) check(['cteDefinitions', name, 'sql'], parsed);
  for (const [i, d] of def.decorators.entries()) {
    const r = d.type === 'identity_resolution' ? readIdentityConfig(d) : null;
    if (r?.ok && r.config.identifiers.some((id) => id.normalize.includes('digits_only'))) {
      problems.push(untranslatable(['decorators', String(i), 'config'], `digits_only normalisation has no translation to ${dialect} yet`));
    }
  }
  return problems;
}
