import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  crossSchemaForeignKeys,
  droppedConstraints,
  DROP_CROSS_SCHEMA_FK_MARKER,
  otherPlatformTableReferences,
  platformTables,
  withoutAllowedDrops,
} from './cross-schema.js';
import { checkChain, compareVersions, MigrationFileError, parseMigration, TENANT_SNAPSHOT_FILE, type MigrationFile } from './migration-files.js';

export interface Problem {
  file: string;
  message: string;
}

/**
 * Statements a migration may not contain. Migrations are additive so that the
 * previous release keeps working against the new schema during a rollout, and
 * each file runs inside the runner's transaction.
 */
const RULES: { pattern: RegExp; message: string }[] = [
  { pattern: /\bdrop\s+(table|schema|view|materialized\s+view|type|function|index|sequence|trigger)\b/i, message: 'drops an object (DROP …): not backward compatible' },
  { pattern: /\bdrop\s+column\b/i, message: 'drops a column (DROP COLUMN): not backward compatible' },
  { pattern: /\balter\s+table\b[^;]*\bdrop\s+(constraint\s+)?(?!default\b|not\s+null\b|column\b)\w+/i, message: 'drops a column or constraint: not backward compatible' },
  { pattern: /\brename\b/i, message: 'renames something (RENAME): not backward compatible' },
  { pattern: /\balter\s+(column\s+)?(?!table\b|column\b)\S+\s+(set\s+data\s+)?type\b/i, message: 'changes a column type (ALTER COLUMN … TYPE): not backward compatible' },
  { pattern: /\bset\s+not\s+null\b/i, message: 'adds NOT NULL to an existing column (SET NOT NULL): not backward compatible' },
  { pattern: /\btruncate\b/i, message: 'deletes data (TRUNCATE): not backward compatible' },
  { pattern: /\bdelete\s+from\b/i, message: 'deletes data (DELETE): not backward compatible' },
  { pattern: /^\s*(begin|commit|rollback|start\s+transaction|end)\s*(transaction|work)?\s*;/im, message: 'controls the transaction itself; the runner wraps each file in one transaction' },
  { pattern: /\bconcurrently\b/i, message: 'uses CONCURRENTLY, which cannot run inside the file\'s transaction' },
  { pattern: /\b(vacuum)\b/i, message: 'uses VACUUM, which cannot run inside the file\'s transaction' },
  { pattern: /\bset\s+(session\s+|local\s+)?search_path\b/i, message: 'sets search_path; the runner chooses the schema (use the target line)' },
];

/**
 * Comments, string literals and dollar-quoted bodies are not statements: blank them out before matching.
 * One pass, so whichever starts first wins (an apostrophe inside a comment does not open a string).
 */
export function stripNonCode(text: string): string {
  return text.replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, (token) =>
    token.startsWith('--') || token.startsWith('/*') ? ' ' : "''",
  );
}

/** The comma-separated clauses of every ALTER TABLE (a comma inside parentheses, as in numeric(12, 2), does not split). */
function alterTableClauses(code: string): string[] {
  const clauses: string[] = [];
  for (const statement of code.split(';')) {
    const body = /^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?\S+\s+([\s\S]*)$/i.exec(statement)?.[1];
    if (body === undefined) continue;
    let depth = 0;
    let start = 0;
    for (let i = 0; i < body.length; i++) {
      if (body[i] === '(') depth++;
      else if (body[i] === ')') depth--;
      else if (body[i] === ',' && depth === 0) {
        clauses.push(body.slice(start, i));
        start = i + 1;
      }
    }
    clauses.push(body.slice(start));
  }
  return clauses;
}

/** ADD [COLUMN] …, but not ADD CONSTRAINT / PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK / EXCLUDE. */
const ADD_COLUMN = /^\s*add\s+(?!constraint\b|primary\b|unique\b|foreign\b|check\b|exclude\b)/i;

/** The additive-only rules; `allowedDrops` are constraint names this file may drop (reviewed cross-schema foreign keys). */
export function checkStatements(file: MigrationFile, allowedDrops: ReadonlySet<string> = new Set()): Problem[] {
  const problems: Problem[] = [];
  for (const body of Object.values(file.sections)) {
    const code = withoutAllowedDrops(stripNonCode(body ?? ''), allowedDrops);
    for (const rule of RULES) {
      if (rule.pattern.test(code)) problems.push({ file: file.fileName, message: rule.message });
    }
    for (const clause of alterTableClauses(code)) {
      if (ADD_COLUMN.test(clause) && /\bnot\s+null\b/i.test(clause) && !/\bdefault\b/i.test(clause)) {
        problems.push({ file: file.fileName, message: 'adds a NOT NULL column without a DEFAULT: existing writers would fail' });
      }
    }
  }
  return problems;
}

const MARKER_LINE = '-- verify-allow: drop cross-schema foreign keys (reviewed: <who and why>)';

/**
 * Tenant sections never reference a datalinx_platform table. Foreign keys that
 * older files added are tolerated only when a later file carrying the reviewed
 * marker drops them; those drops are returned as allowed for that file.
 */
export function checkCrossSchema(
  files: readonly MigrationFile[],
  texts: ReadonlyMap<string, string>,
): { problems: Problem[]; allowedDrops: Map<string, Set<string>> } {
  const problems: Problem[] = [];
  const allowedDrops = new Map<string, Set<string>>();
  const tables = platformTables(files);
  const added = new Map<string, MigrationFile>();
  const removed = new Set<string>();
  for (const file of files) {
    const section = file.sections.tenant;
    if (!section) continue;
    const code = stripNonCode(section);
    const drops = droppedConstraints(code).filter((name) => added.has(name));
    if (DROP_CROSS_SCHEMA_FK_MARKER.test(texts.get(file.fileName) ?? '')) {
      allowedDrops.set(file.fileName, new Set(drops));
      for (const name of drops) removed.add(name);
    } else {
      for (const name of drops) {
        problems.push({ file: file.fileName, message: `drops the cross-schema foreign key ${name}: allowed only with the reviewed line "${MARKER_LINE}"` });
      }
    }
    for (const name of crossSchemaForeignKeys(code)) added.set(name, file);
    for (const table of otherPlatformTableReferences(section, tables)) {
      problems.push({ file: file.fileName, message: `the tenant section names the shared table datalinx_platform.${table}: tenant schemas must not reference datalinx_platform tables` });
    }
  }
  for (const [name, file] of added) {
    if (removed.has(name)) continue;
    problems.push({
      file: file.fileName,
      message: `adds the foreign key ${name} into datalinx_platform: tenant tables must not reference shared tables (use a value-set type, or keep the id without a constraint)`,
    });
  }
  return { problems, allowedDrops };
}

/** Every problem of the folder's migrations; an empty list means it is fit to run. */
export async function verifyMigrations(dir: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const files: MigrationFile[] = [];
  const texts = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) {
    if (name === TENANT_SNAPSHOT_FILE) continue;
    if (!name.endsWith('.sql')) {
      problems.push({ file: name, message: 'is not a .sql file; the migrations folder holds only migrations' });
      continue;
    }
    try {
      const text = await readFile(path.join(dir, name), 'utf8');
      texts.set(name, text);
      files.push(parseMigration(name, text));
    } catch (err) {
      if (!(err instanceof MigrationFileError)) throw err;
      problems.push({ file: name, message: err.message.slice(name.length + 2) });
    }
  }
  const chain = [...files].sort((a, b) => compareVersions(a.version, b.version));
  const crossSchema = checkCrossSchema(chain, texts);
  for (const f of files) problems.push(...checkStatements(f, crossSchema.allowedDrops.get(f.fileName)));
  problems.push(...crossSchema.problems);
  try {
    checkChain(chain);
  } catch (err) {
    if (!(err instanceof MigrationFileError)) throw err;
    problems.push({ file: err.fileName, message: err.message.slice(err.fileName.length + 2) });
  }
  return problems;
}
