import type * as Polyglot from '@polyglot-sql/sdk';
import type { WarehouseDialect } from '../../workspaces/warehouse-dialects.js';

/**
 * Per-warehouse SQL: identifier quoting and translation of PostgreSQL text to
 * the other dialects with polyglot-sql (a sqlglot-style transpiler, WASM).
 */

/*
 * polyglot-sql instantiates its WASM at import (≈ 80 MB resident), so it is
 * imported on the first compilation (`polyglotReady`), not when the API starts:
 * a process that never compiles for a warehouse never holds it.
 */
let sdk: typeof Polyglot | null = null;
let loading: Promise<void> | null = null;

/** Loads polyglot-sql once; await it before any function below that translates or parses. */
export const polyglotReady = (): Promise<void> =>
  (loading ??= import('@polyglot-sql/sdk').then((m) => {
    sdk = m;
  }));

function poly(): typeof Polyglot {
  if (!sdk) throw new Error('polyglot-sql is not loaded: await polyglotReady() first');
  return sdk;
}

const polyDialect = (dialect: WarehouseDialect): Polyglot.Dialect => {
  const { Dialect } = poly();
  return { postgresql: Dialect.PostgreSQL, snowflake: Dialect.Snowflake, bigquery: Dialect.BigQuery, databricks: Dialect.Databricks }[dialect];
};
const polyParse = (sql: string, d: Polyglot.Dialect) => poly().parse(sql, d);
const generate = (...args: Parameters<typeof Polyglot.generate>) => poly().generate(...args);
const transpile = (...args: Parameters<typeof Polyglot.transpile>) => poly().transpile(...args);
const validate = (...args: Parameters<typeof Polyglot.validate>) => poly().validate(...args);
const pgDialect = () => polyDialect('postgresql');

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
/** `tree` with every column named `hole` replaced by `value`. */
function fillHole(tree: Ast, value: Ast, hole = HOLE): Ast {
  if (Array.isArray(tree)) return tree.map((n) => fillHole(n, value, hole));
  if (tree === null || typeof tree !== 'object') return tree;
  const col = (tree as { column?: { name?: { name?: string } } }).column;
  if (col?.name?.name === hole) return value;
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, fillHole(v, value, hole)]));
}

/** The first select expression of `sql` (PostgreSQL), parsed once and copied on each use. */
function expressionTemplate(sql: string): () => Ast {
  let json: string | undefined;
  return () => {
    json ??= JSON.stringify((polyParse(sql, pgDialect()).ast as { select: { expressions: Ast[] } }[])[0]!.select.expressions[0]);
    return JSON.parse(json);
  };
}

const concatTemplate = expressionTemplate(`SELECT COALESCE(CAST(${HOLE} AS TEXT), '')`);

/*
 * Safe casts (TRY_CAST / SAFE_CAST: NULL where the value does not fit). polyglot
 * reads them from PostgreSQL text but writes them back to PostgreSQL as a plain
 * CAST, which fails where the original gave NULL. So:
 * - to PostgreSQL, each becomes `CASE WHEN pg_input_is_valid(CAST(x AS TEXT), '<type>') THEN CAST(x AS <type>) END`
 *   (pg_input_is_valid: PostgreSQL 16 and later);
 * - to the other dialects, each travels through the PostgreSQL step as a marker
 *   call `dlx_safe_cast(CAST(x AS t))` and becomes the dialect's own safe cast
 *   (TRY_CAST in Snowflake and Databricks, SAFE_CAST in BigQuery) at the end.
 */
const SAFE_CAST_KINDS = ['try_cast', 'safe_cast'] as const;
const MARKER = 'dlx_safe_cast';
const markerTemplate = expressionTemplate(`SELECT ${MARKER}(${HOLE})`);
const pgSafeCastTemplate = expressionTemplate("SELECT CASE WHEN pg_input_is_valid(CAST(dlx_value AS TEXT), dlx_type) THEN dlx_cast END");

/** Rewrites every safe-cast node with `replace(cast)`, where `cast` is its content (value `this`, type `to`). */
function rewriteSafeCasts(ast: Ast, replace: (cast: Record<string, unknown>) => Ast): Ast {
  if (Array.isArray(ast)) return ast.map((n) => rewriteSafeCasts(n, replace));
  if (ast === null || typeof ast !== 'object') return ast;
  const node = ast as Record<string, unknown>;
  for (const kind of SAFE_CAST_KINDS) {
    const cast = node[kind] as Record<string, unknown> | undefined;
    if (cast && Object.keys(node).length === 1) return replace({ ...cast, this: rewriteSafeCasts(cast.this, replace) });
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewriteSafeCasts(v, replace)]));
}

/** The PostgreSQL text of a cast's type, e.g. `DECIMAL(10, 2)`. */
function pgTypeText(cast: Record<string, unknown>): string {
  const out = generate([{ select: { ...(polyParse('SELECT 1', pgDialect()).ast as { select: object }[])[0]!.select, expressions: [{ cast: { ...cast, this: { literal: { literal_type: 'number', value: '1' } } } }] } }], pgDialect());
  const m = /^SELECT CAST\(1 AS (.+)\)$/s.exec(out.sql?.[0] ?? '');
  if (!m) throw new Error(`cannot write the type of a safe cast: ${out.error ?? out.sql?.[0]}`);
  return m[1]!;
}

const toPgSafeCast = (cast: Record<string, unknown>): Ast => {
  let tree = fillHole(pgSafeCastTemplate(), cast.this, 'dlx_value');
  tree = fillHole(tree, { literal: { literal_type: 'string', value: pgTypeText(cast) } }, 'dlx_type');
  return fillHole(tree, { cast }, 'dlx_cast');
};

/** The marker calls of the PostgreSQL step turned back into `kind` nodes (in the target dialect's tree). */
function unmarkSafeCasts(ast: Ast, kind: 'try_cast' | 'safe_cast'): Ast {
  if (Array.isArray(ast)) return ast.map((n) => unmarkSafeCasts(n, kind));
  if (ast === null || typeof ast !== 'object') return ast;
  const node = ast as Record<string, unknown>;
  const fn = node.function as { name?: string; args?: Ast[] } | undefined;
  const inner = fn?.args?.length === 1 ? (fn.args[0] as { cast?: Record<string, unknown> }).cast : undefined;
  if (fn?.name?.toLowerCase() === MARKER && inner) return { [kind]: { ...inner, this: unmarkSafeCasts(inner.this, kind) } };
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, unmarkSafeCasts(v, kind)]));
}

/** Whether `sql` may hold a safe cast (a cheap test; the parser decides). */
const mayHaveSafeCast = (sql: string) => /\b(try|safe)_cast\s*\(/i.test(sql);

export type Translation = { ok: true; sql: string } | { ok: false; message: string };

/**
 * One PostgreSQL statement in another dialect, or why not. The output is
 * parsed again by the target dialect's parser; anything polyglot reports as
 * unsupported is refused rather than emitted.
 */
export function translate(pgSql: string, dialect: WarehouseDialect): Translation {
  const safeCasts = mayHaveSafeCast(pgSql);
  if (dialect === 'postgresql' && !safeCasts) return { ok: true, sql: pgSql };
  const parsed = polyParse(pgSql, pgDialect());
  if (!parsed.success || !parsed.ast) return { ok: false, message: `cannot read the SQL to translate it: ${parsed.error ?? 'unknown error'}` };
  if (dialect === 'postgresql') {
    const generated = generate(rewriteSafeCasts(parsed.ast, toPgSafeCast), pgDialect());
    if (!generated.success || generated.sql?.length !== 1) return { ok: false, message: `cannot write the safe casts in PostgreSQL: ${generated.error ?? 'not one statement'}` };
    return { ok: true, sql: generated.sql[0]! };
  }
  let ast = rewriteConcat(parsed.ast, concatTemplate);
  if (safeCasts) ast = rewriteSafeCasts(ast, (cast) => fillHole(markerTemplate(), { cast }));
  const generated = generate(ast, pgDialect());
  if (!generated.success || !generated.sql?.length) return { ok: false, message: `cannot translate: ${generated.error ?? 'unknown error'}` };
  const out = transpile(generated.sql.join(';\n'), pgDialect(), polyDialect(dialect), { unsupportedLevel: 'raise' });
  if (!out.success || out.sql?.length !== 1) return { ok: false, message: `cannot translate to ${dialect}: ${out.error ?? 'not one statement'}` };
  let sql = out.sql[0]!;
  if (safeCasts) {
    const target = polyParse(sql, polyDialect(dialect));
    const back = target.success && target.ast ? generate(unmarkSafeCasts(target.ast, dialect === 'bigquery' ? 'safe_cast' : 'try_cast'), polyDialect(dialect)) : null;
    if (!back?.success || back.sql?.length !== 1) return { ok: false, message: `cannot write the safe casts in ${dialect}` };
    sql = back.sql[0]!;
    if (sql.toLowerCase().includes(MARKER)) return { ok: false, message: `cannot write the safe casts in ${dialect}` };
  }
  const check = validate(sql, polyDialect(dialect));
  if (!check.valid) return { ok: false, message: `the ${dialect} translation does not parse: ${check.errors.map((e) => e.message).join('; ')}` };
  return { ok: true, sql };
}

/** Parses `sql` with the dialect's parser (PostgreSQL's through polyglot here; the compiler also uses libpg-query). */
export function parsesIn(sql: string, dialect: WarehouseDialect): boolean {
  return validate(sql, polyDialect(dialect)).valid;
}
