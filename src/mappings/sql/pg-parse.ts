import { loadModule, parseSync, scanSync } from 'libpg-query';
import type { MappingProblem } from './definition.js';

/**
 * PostgreSQL's own parser (libpg-query, WASM) over transforms and CTEs: a
 * transform must be ONE expression, a CTE ONE SELECT, and neither may call a
 * function outside the allowlist, change data or take locks.
 */

let loaded: Promise<void> | undefined;
/** The WASM module loads once per process; every parse waits for it. */
export const pgParserReady = (): Promise<void> => (loaded ??= loadModule());

type Node = Record<string, unknown>;
export interface ParsedColumnRef { name: string; qualifier: string | null; location: number }

/** Functions a mapping may call (lower-case, unqualified or pg_catalog.*). Everything else is refused. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // text
  'lower', 'upper', 'initcap', 'trim', 'btrim', 'ltrim', 'rtrim', 'concat', 'concat_ws', 'length', 'char_length',
  'substring', 'substr', 'replace', 'split_part', 'left', 'right', 'lpad', 'rpad', 'position', 'strpos', 'reverse',
  'regexp_replace', 'translate', 'md5', 'format', 'to_char', 'starts_with',
  // numbers
  'abs', 'round', 'floor', 'ceil', 'ceiling', 'trunc', 'mod', 'power', 'sqrt', 'sign', 'to_number',
  // dates and times
  'date', 'date_trunc', 'date_part', 'extract', 'to_date', 'to_timestamp', 'make_date', 'age', 'now',
  // aggregates and windows (CTEs)
  'count', 'sum', 'min', 'max', 'avg', 'string_agg', 'array_agg', 'bool_and', 'bool_or', 'row_number', 'rank',
  'dense_rank', 'lag', 'lead', 'first_value', 'last_value',
  // json
  'jsonb_extract_path_text', 'json_extract_path_text',
]);

/** Top-level statement kinds that are not a plain SELECT (for the message). */
const statementKind = (stmt: Node) => Object.keys(stmt)[0]?.replace(/Stmt$/, '').toUpperCase() ?? 'statement';

function walk(node: unknown, visit: (kind: string, body: Node) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Node)) {
    if (/^[A-Z]/.test(key) && value && typeof value === 'object' && !Array.isArray(value)) visit(key, value as Node);
    walk(value, visit);
  }
}

const sval = (n: unknown): string | null => ((n as { String?: { sval?: string } })?.String?.sval ?? null);

export interface ParsedSql {
  columns: ParsedColumnRef[];
  tables: { schema: string | null; name: string; location: number }[];
  cteNames: string[];
  /** Functions called, lower-case, unqualified. */
  functions: string[];
}

interface Checked { parsed: ParsedSql | null; problems: MappingProblem[] }

function parseProblem(err: unknown, path: string[], offset: number): MappingProblem {
  const e = err as { message?: string; sqlDetails?: { message?: string; cursorPosition?: number } };
  const message = e.sqlDetails?.message ?? 'not valid SQL';
  const cursor = e.sqlDetails?.cursorPosition;
  return { path, code: 'parse_error', message: `not valid SQL: ${message}`, position: cursor == null ? null : Math.max(1, cursor - offset), suggestion: null };
}

/** Walks a parse tree, reporting forbidden functions/clauses and collecting names. */
function inspect(tree: unknown, path: string[], offset: number, allowSubqueries: boolean): Checked {
  const problems: MappingProblem[] = [];
  const parsed: ParsedSql = { columns: [], tables: [], cteNames: [], functions: [] };
  const pos = (location: unknown) => (typeof location === 'number' && location >= 0 ? Math.max(1, location - offset + 1) : null);
  walk(tree, (kind, body) => {
    if (kind === 'FuncCall') {
      const names = ((body.funcname as unknown[]) ?? []).map(sval).filter((s): s is string => s != null);
      const name = names.at(-1)?.toLowerCase() ?? '';
      parsed.functions.push(name);
      const qualified = names.length > 1 && names[0]!.toLowerCase() !== 'pg_catalog';
      if (qualified || !ALLOWED_FUNCTIONS.has(name)) {
        problems.push({ path, code: 'forbidden_function', message: `function ${names.join('.')} is not allowed in a mapping`, position: pos(body.location), suggestion: null });
      }
    } else if (kind === 'ColumnRef') {
      const fields = (body.fields as unknown[]) ?? [];
      const parts = fields.map(sval);
      const name = parts.at(-1);
      if (name) parsed.columns.push({ name, qualifier: parts.length > 1 ? (parts.at(-2) ?? null) : null, location: pos(body.location) ?? 0 });
    } else if (kind === 'RangeVar') {
      parsed.tables.push({ schema: (body.schemaname as string) ?? null, name: String(body.relname), location: pos(body.location) ?? 0 });
    } else if (kind === 'CommonTableExpr') {
      parsed.cteNames.push(String(body.ctename));
    } else if (kind === 'SubLink' && !allowSubqueries) {
      problems.push({ path, code: 'subquery_not_allowed', message: 'a transform may not contain a sub-select', position: pos(body.location), suggestion: null });
    } else if (kind === 'RangeFunction') {
      problems.push({ path, code: 'forbidden_clause', message: 'functions in FROM are not allowed in a mapping', position: null, suggestion: null });
    } else if (/^(Insert|Update|Delete|Merge)Stmt$/.test(kind)) {
      problems.push({ path, code: 'forbidden_clause', message: `${statementKind({ [kind]: body })} is not allowed in a mapping`, position: null, suggestion: null });
    } else if (kind === 'SelectStmt') {
      if (body.lockingClause) problems.push({ path, code: 'forbidden_clause', message: 'locking clauses (FOR UPDATE/SHARE) are not allowed', position: null, suggestion: null });
      if (body.intoClause) problems.push({ path, code: 'forbidden_clause', message: 'SELECT INTO is not allowed', position: null, suggestion: null });
    }
  });
  return { parsed, problems };
}

const PREFIX = 'SELECT (';

/**
 * `TRY_CAST(x AS t)` and `SAFE_CAST(x AS t)` — a cast that gives NULL where
 * the value does not fit, as Snowflake, Databricks and BigQuery have it — are
 * not PostgreSQL. For every check they are read as `CAST` (padded to the same
 * length, so positions hold); compile.ts translates them per dialect. Only an
 * unquoted, unqualified name followed by `(` counts: `'try_cast('` in a string
 * or a quoted "TRY_CAST" is left alone.
 */
export function maskSafeCasts(text: string): string {
  let tokens: { start: number; end: number; text: string; tokenName: string }[];
  try {
    tokens = scanSync(text).tokens as typeof tokens;
  } catch {
    return text;
  }
  let out = text;
  tokens.forEach((t, i) => {
    const name = t.tokenName === 'IDENT' ? t.text.toLowerCase() : '';
    if ((name === 'try_cast' || name === 'safe_cast') && tokens[i + 1]?.text === '(' && tokens[i - 1]?.text !== '.') {
      out = `${out.slice(0, t.start)}${'CAST'.padStart(t.end - t.start)}${out.slice(t.end)}`;
    }
  });
  return out;
}

/**
 * Comments are refused outright: other dialects' parsers end nested or
 * unusual comments differently from PostgreSQL, so a comment is where a
 * hidden statement would live once the SQL is translated.
 */
function commentProblem(text: string, path: string[]): MappingProblem | null {
  let tokens: { start: number; tokenName: string }[];
  try {
    tokens = scanSync(text).tokens as typeof tokens;
  } catch {
    return null;
  }
  const comment = tokens.find((t) => t.tokenName === 'C_COMMENT' || t.tokenName === 'SQL_COMMENT');
  return comment
    ? { path, code: 'comment_not_allowed', message: 'comments are not allowed in mapping SQL', position: comment.start + 1, suggestion: 'remove the comment' }
    : null;
}

const SEVERAL = (path: string[], what: string): MappingProblem => ({
  path, code: 'multiple_statements', message: `${what} is one ${what === 'a transform' ? 'expression' : 'SELECT'}, not several statements`, position: null, suggestion: null,
});

/**
 * A transform is checked as `SELECT (<transform>)`: exactly one statement with
 * exactly one target and nothing else, so `x; DROP TABLE t`, `1), (2` and a
 * comment swallowing the closing parenthesis are all refused.
 */
export function checkTransform(text: string, path: string[]): Checked {
  const comment = commentProblem(text, path);
  if (comment) return { parsed: null, problems: [comment] };
  const masked = maskSafeCasts(text);
  let tree: { stmts?: { stmt: Node }[] };
  try {
    tree = parseSync(`${PREFIX}${masked}\n)`) as typeof tree;
  } catch (err) {
    // Re-parse to tell "several statements" and "a statement" from a plain syntax error.
    for (const candidate of [`SELECT ${masked}`, masked]) {
      try {
        const alone = parseSync(candidate) as typeof tree;
        if ((alone.stmts?.length ?? 0) > 1) return { parsed: null, problems: [SEVERAL(path, 'a transform')] };
        if (candidate === masked && alone.stmts?.length === 1) return { parsed: null, problems: [{ path, code: 'not_an_expression', message: `a transform is one expression, not a ${statementKind(alone.stmts[0]!.stmt)} statement`, position: null, suggestion: null }] };
      } catch {
        /* keep the first error */
      }
    }
    return { parsed: null, problems: [parseProblem(err, path, PREFIX.length)] };
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) return { parsed: null, problems: [SEVERAL(path, 'a transform')] };
  const select = stmts[0]!.stmt.SelectStmt as Node | undefined;
  const targets = (select?.targetList as unknown[]) ?? [];
  const extra = select && ['fromClause', 'whereClause', 'groupClause', 'havingClause', 'withClause', 'sortClause', 'limitCount', 'valuesLists', 'op'].some((k) => select[k] != null && select[k] !== 'SETOP_NONE');
  if (!select || targets.length !== 1 || extra) {
    return { parsed: null, problems: [{ path, code: 'not_an_expression', message: 'a transform must be exactly one SQL expression', position: null, suggestion: null }] };
  }
  return inspect(targets, path, PREFIX.length, false);
}

/** A CTE body must be exactly one SELECT (sub-selects allowed, no data change or locks). */
export function checkCte(text: string, path: string[]): Checked {
  const comment = commentProblem(text, path);
  if (comment) return { parsed: null, problems: [comment] };
  let tree: { stmts?: { stmt: Node }[] };
  try {
    tree = parseSync(maskSafeCasts(text)) as typeof tree;
  } catch (err) {
    return { parsed: null, problems: [parseProblem(err, path, 0)] };
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) return { parsed: null, problems: [SEVERAL(path, 'a CTE')] };
  if (!stmts[0]!.stmt.SelectStmt) {
    return { parsed: null, problems: [{ path, code: 'not_a_select', message: `a CTE must be a SELECT, not ${statementKind(stmts[0]!.stmt)}`, position: null, suggestion: null }] };
  }
  return inspect(stmts[0]!.stmt, path, 0, true);
}

/** Parses a whole generated statement; throws on a syntax error (used to re-check compiler output). */
export function parsePostgres(sql: string): unknown {
  return parseSync(sql);
}
