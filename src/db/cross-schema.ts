import type { MigrationFile } from './migration-files.js';

/**
 * What `migrations:verify` knows about references from tenant sections into
 * `datalinx_platform`. A tenant table may use a shared *type* or *function*
 * (the value-set enums, `set_updated_at()`), never a shared *table*: a foreign
 * key adds RI triggers to the shared table per organization, and anything else
 * naming one ties every tenant to it.
 */

/**
 * The reviewed marker that lets a file drop cross-schema foreign keys added by
 * earlier files (a backward-compatible relaxation); every other drop stays refused.
 */
export const DROP_CROSS_SCHEMA_FK_MARKER = /^--\s*verify-allow:\s*drop cross-schema foreign keys\s*\(reviewed:\s*\S[^)]*\)\s*$/im;

const PLATFORM_TABLE = /\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?"?datalinx_platform"?\s*\.\s*"?(\w+)"?/gi;
const PLATFORM_NAME = /"?datalinx_platform"?\s*\.\s*"?(\w+)"?/gi;
const REFERENCES_PLATFORM = /\breferences\s+"?datalinx_platform"?\s*\.\s*"?\w+"?/i;

/** Comments removed, strings and function bodies kept (a function body may name a table too). */
function stripComments(text: string): string {
  return text.replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, (token) =>
    token.startsWith('--') || token.startsWith('/*') ? ' ' : token,
  );
}

/** Tables the platform sections of the chain create. */
export function platformTables(files: readonly MigrationFile[]): Set<string> {
  const tables = new Set<string>();
  for (const f of files) {
    for (const m of (f.sections.platform ?? '').matchAll(PLATFORM_TABLE)) tables.add(m[1]!.toLowerCase());
  }
  return tables;
}

/** Splits on commas outside parentheses. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** The text inside the parenthesis opened at `open`. */
function parenthesised(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** The name PostgreSQL gives a foreign key defined by one column or table element of `table`. */
function foreignKeyName(table: string, element: string): string | null {
  if (!REFERENCES_PLATFORM.test(element)) return null;
  const named = /^\s*(?:add\s+)?constraint\s+"?(\w+)"?/i.exec(element);
  if (named) return named[1]!.toLowerCase();
  const tableLevel = /^\s*(?:add\s+)?foreign\s+key\s*\(\s*"?(\w+)"?/i.exec(element);
  if (tableLevel) return `${table}_${tableLevel[1]}_fkey`.toLowerCase();
  const column = /^\s*(?:add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?)?"?(\w+)"?/i.exec(element);
  return column ? `${table}_${column[1]}_fkey`.toLowerCase() : null;
}

/** Names of the foreign keys into datalinx_platform a tenant section adds (CREATE TABLE or ALTER TABLE … ADD). */
export function crossSchemaForeignKeys(code: string): string[] {
  const names: string[] = [];
  for (const statement of code.split(';')) {
    const create = /^\s*create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?"?(\w+)"?\s*\(/i.exec(statement);
    const alter = /^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?"?(\w+)"?\s+([\s\S]*)$/i.exec(statement);
    const table = (create ?? alter)?.[1];
    if (!table) continue;
    const elements = create ? topLevelParts(parenthesised(statement, create[0].length - 1)) : topLevelParts(alter![2]!);
    for (const element of elements) {
      const name = foreignKeyName(table, element);
      if (name) names.push(name);
    }
  }
  return names;
}

/** Shared tables a tenant section names other than as the target of a foreign key. */
export function otherPlatformTableReferences(section: string, tables: ReadonlySet<string>): string[] {
  const text = stripComments(section).replace(new RegExp(REFERENCES_PLATFORM.source, 'gi'), ' ');
  const named = [...text.matchAll(PLATFORM_NAME)].map((m) => m[1]!.toLowerCase());
  return [...new Set(named.filter((n) => tables.has(n)))];
}

const DROP_CONSTRAINT = /\bdrop\s+constraint\s+(?:if\s+exists\s+)?"?(\w+)"?/gi;

/** Constraint names a section drops. */
export function droppedConstraints(code: string): string[] {
  return [...code.matchAll(DROP_CONSTRAINT)].map((m) => m[1]!.toLowerCase());
}

/** Removes the `DROP CONSTRAINT name` clauses whose name is in `allowed`, so the other rules do not see them. */
export function withoutAllowedDrops(code: string, allowed: ReadonlySet<string>): string {
  return code.replace(DROP_CONSTRAINT, (clause, name: string) => (allowed.has(name.toLowerCase()) ? ' ' : clause));
}
