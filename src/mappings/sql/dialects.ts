import { Dialect, parse as polyParse, generate, transpile, validate } from '@polyglot-sql/sdk';
import type { WarehouseDialect } from '../../workspaces/warehouse-dialects.js';

/**
 * Per-warehouse SQL: identifier quoting and translation of PostgreSQL text to
 * the other dialects with polyglot-sql (a sqlglot-style transpiler, WASM).
 */

const POLYGLOT: Record<WarehouseDialect, Dialect> = {
  postgresql: Dialect.PostgreSQL,
  snowflake: Dialect.Snowflake,
  bigquery: Dialect.BigQuery,
  databricks: Dialect.Databricks,
};

/** `"name"` (PostgreSQL, Snowflake) or `` `name` `` (BigQuery, Databricks), the quote doubled or escaped inside. */
export function quoteIdent(name: string, dialect: WarehouseDialect): string {
  if (dialect === 'bigquery' || dialect === 'databricks') return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, dialect === 'bigquery' ? '\\`' : '``')}\``;
  return `"${name.replace(/"/g, '""')}"`;
}

/** `crm.customers` → `"crm"."customers"`. */
export const quoteQualified = (name: string, dialect: WarehouseDialect): string =>
  name.split('.').map((part) => quoteIdent(part, dialect)).join('.');

type Ast = unknown;

/**
 * PostgreSQL's CONCAT skips NULL arguments; Snowflake's, BigQuery's and
 * Databricks' return NULL if any argument is NULL. To keep the meaning, every
 * argument becomes COALESCE(CAST(arg AS TEXT), '') before translating.
 */
function rewriteConcat(ast: Ast, template: () => Ast): Ast {
  if (Array.isArray(ast)) return ast.map((n) => rewriteConcat(n, template));
  if (ast === null || typeof ast !== 'object') return ast;
  const node = ast as Record<string, unknown>;
  const fn = node.function as { name?: string; args?: Ast[] } | undefined;
  if (fn && typeof fn.name === 'string' && fn.name.toUpperCase() === 'CONCAT' && Array.isArray(fn.args)) {
    const args = fn.args.map((a) => rewriteConcat(a, template)).map((arg) => fillHole(template(), arg));
    return { ...node, function: { ...fn, args } };
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewriteConcat(v, template)]));
}

const HOLE = 'dlx_concat_hole';
function fillHole(tree: Ast, value: Ast): Ast {
  if (Array.isArray(tree)) return tree.map((n) => fillHole(n, value));
  if (tree === null || typeof tree !== 'object') return tree;
  const col = (tree as { column?: { name?: { name?: string } } }).column;
  if (col?.name?.name === HOLE) return value;
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, fillHole(v, value)]));
}

let holeTemplate: string | undefined;
function concatTemplate(): Ast {
  const parsed = polyParse(`SELECT COALESCE(CAST(${HOLE} AS TEXT), '')`, Dialect.PostgreSQL);
  holeTemplate ??= JSON.stringify((parsed.ast as { select: { expressions: Ast[] } }[])[0]!.select.expressions[0]);
  return JSON.parse(holeTemplate);
}

export type Translation = { ok: true; sql: string } | { ok: false; message: string };

/**
 * One PostgreSQL statement in another dialect, or why not. The output is
 * parsed again by the target dialect's parser; anything polyglot reports as
 * unsupported is refused rather than emitted.
 */
export function translate(pgSql: string, dialect: WarehouseDialect): Translation {
  if (dialect === 'postgresql') return { ok: true, sql: pgSql };
  const parsed = polyParse(pgSql, Dialect.PostgreSQL);
  if (!parsed.success || !parsed.ast) return { ok: false, message: `cannot read the SQL to translate it: ${parsed.error ?? 'unknown error'}` };
  const rewritten = rewriteConcat(parsed.ast, concatTemplate);
  const generated = generate(rewritten, Dialect.PostgreSQL);
  if (!generated.success || !generated.sql?.length) return { ok: false, message: `cannot translate: ${generated.error ?? 'unknown error'}` };
  const out = transpile(generated.sql.join(';\n'), Dialect.PostgreSQL, POLYGLOT[dialect], { unsupportedLevel: 'raise' });
  if (!out.success || out.sql?.length !== 1) return { ok: false, message: `cannot translate to ${dialect}: ${out.error ?? 'not one statement'}` };
  const sql = out.sql[0]!;
  const check = validate(sql, POLYGLOT[dialect]);
  if (!check.valid) return { ok: false, message: `the ${dialect} translation does not parse: ${check.errors.map((e) => e.message).join('; ')}` };
  return { ok: true, sql };
}

/** Parses `sql` with the dialect's parser (PostgreSQL's through polyglot here; the compiler also uses libpg-query). */
export function parsesIn(sql: string, dialect: WarehouseDialect): boolean {
  return validate(sql, POLYGLOT[dialect]).valid;
}
