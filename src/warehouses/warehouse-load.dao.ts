import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ResultColumn } from '../connectors/index.js';
import { quoteIdent as q } from '../db/identifiers.js';

/**
 * Statements run in a customer's PostgreSQL warehouse on the worker's behalf.
 * Names are quoted whole (a target table is one identifier in the target
 * schema); values travel as PostgreSQL's text form (COPY) or as parameters.
 * The caller owns the transaction: each load is one transaction, so a failed
 * or cancelled load leaves the warehouse as it was.
 */

/** The table, in the target schema, that holds each mapping's high-water mark (written in the load's own transaction). */
export const STATE_TABLE = '_datalinx_load_state';

export type Row = (string | null)[];

const qualified = (schema: string, table: string) => `${q(schema)}.${q(table)}`;
const columnList = (columns: readonly string[]) => columns.map(q).join(', ');

export async function begin(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
}

export async function commit(client: pg.Client): Promise<void> {
  await client.query('COMMIT');
}

export async function rollback(client: pg.Client): Promise<void> {
  await client.query('ROLLBACK').catch(() => undefined);
}

/** The target schema and the state table, created when missing (safe when two loads race to create them). */
export async function ensureTargetSchema(client: pg.Client, schema: string): Promise<void> {
  // warehouse: target schema and load state
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, STATE_TABLE)} (mapping_id text PRIMARY KEY, target_table text NOT NULL, cursor_column text, high_water_mark text, job_id text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())`,
  );
}

export async function tableExists(client: pg.Client, schema: string, table: string): Promise<boolean> {
  // warehouse: does the target table exist
  const r = await client.query<{ oid: string | null }>('SELECT to_regclass($1) AS oid', [qualified(schema, table)]);
  return r.rows[0]?.oid != null;
}

/** A new, empty table (dropping a leftover of the same name first), typed like the source result. */
export async function createTable(client: pg.Client, schema: string, table: string, columns: readonly ResultColumn[]): Promise<void> {
  // warehouse: (re)create a load table
  await client.query(`DROP TABLE IF EXISTS ${qualified(schema, table)}`);
  await client.query(`CREATE TABLE ${qualified(schema, table)} (${columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`);
}

/** A session-local scratch table shaped like `like`, dropped at commit: where a batch waits before its upsert. */
export async function createBatchTable(client: pg.Client, schema: string, like: string, name: string): Promise<void> {
  // warehouse: batch table of an incremental load
  await client.query(`CREATE TEMPORARY TABLE ${q(name)} (LIKE ${qualified(schema, like)}) ON COMMIT DROP`);
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const copyLine = (row: Row) => `${row.map((v) => (v === null ? '\\N' : v.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!))).join('\t')}\n`;

/** Appends rows with COPY … FROM STDIN (text format); `schema` null: a temporary table. */
export async function copyRows(client: pg.Client, schema: string | null, table: string, columns: readonly string[], rows: readonly Row[]): Promise<number> {
  if (rows.length === 0) return 0;
  const target = schema === null ? q(table) : qualified(schema, table);
  // warehouse: load a batch
  const copy = client.query(copyFrom(`COPY ${target} (${columnList(columns)}) FROM STDIN`));
  await pipeline(Readable.from(chunks(rows)), copy);
  return copy.rowCount;
}

function* chunks(rows: readonly Row[]): Generator<string> {
  // A few hundred rows per chunk: fewer, larger writes to the socket.
  for (let i = 0; i < rows.length; i += 500) yield rows.slice(i, i + 500).map(copyLine).join('');
}

const MAX_PARAMETERS = 65_535;

/** Appends rows with multi-row INSERTs (as many rows a statement as its 65,535 parameters allow). The slower way: kept for bench/. */
export async function insertRows(client: pg.Client, schema: string, table: string, columns: readonly string[], rows: readonly Row[]): Promise<number> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, columns.length)));
  let written = 0;
  for (let i = 0; i < rows.length; i += perStatement) {
    const slice = rows.slice(i, i + perStatement);
    const values = slice.map((_, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
    // warehouse: load a batch, multi-row INSERT
    const result = await client.query(`INSERT INTO ${qualified(schema, table)} (${columnList(columns)}) VALUES ${values}`, slice.flat());
    written += result.rowCount ?? 0;
  }
  return written;
}

/**
 * Moves a batch table's rows into the target by key: new keys inserted,
 * existing ones updated; of rows sharing a key, the one with the largest
 * cursor wins. Empties the batch table. Returns the rows written.
 */
export async function upsertBatch(
  client: pg.Client,
  schema: string,
  target: string,
  batch: string,
  columns: readonly string[],
  keys: readonly string[],
  cursor: string,
): Promise<number> {
  const rest = columns.filter((c) => !keys.includes(c));
  const onConflict = rest.length ? `DO UPDATE SET ${rest.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ')}` : 'DO NOTHING';
  // warehouse: upsert a batch by the target's key
  const result = await client.query(
    `INSERT INTO ${qualified(schema, target)} (${columnList(columns)}) SELECT DISTINCT ON (${columnList(keys)}) ${columnList(columns)} FROM ${q(batch)} ORDER BY ${columnList(keys)}, ${q(cursor)} DESC NULLS LAST ON CONFLICT (${columnList(keys)}) ${onConflict}`,
  );
  await client.query(`TRUNCATE ${q(batch)}`);
  return result.rowCount ?? 0;
}

/** The unique index an upsert by `keys` needs, created when the target has none of that name. */
export async function ensureKeyIndex(client: pg.Client, schema: string, table: string, index: string, keys: readonly string[]): Promise<void> {
  // warehouse: the target's key
  await client.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${q(index)} ON ${qualified(schema, table)} (${columnList(keys)})`);
}

/**
 * Runs a mapping's warehouse statements (identity resolution) in order. They
 * name their tables unqualified, so the transaction's search_path is the
 * target schema (SET LOCAL: it ends with the transaction).
 */
export async function runStatements(client: pg.Client, schema: string, statements: readonly string[]): Promise<void> {
  if (statements.length === 0) return;
  // warehouse: the target schema for the statements of this transaction
  await client.query(`SELECT set_config('search_path', $1, true)`, [q(schema)]);
  for (const statement of statements) await client.query(statement);
}

/**
 * Puts the staging table in the target's place inside the caller's
 * transaction: readers see the old table until the commit and the new one
 * after it (a reader that queued on the lock meanwhile finds the new table).
 */
export async function swapIn(client: pg.Client, schema: string, staging: string, target: string): Promise<void> {
  // warehouse: swap the loaded table in
  await client.query(`DROP TABLE IF EXISTS ${qualified(schema, target)}`);
  await client.query(`ALTER TABLE ${qualified(schema, staging)} RENAME TO ${q(target)}`);
}

/** The largest value of the cursor column in the table, as text; null when the table is empty. */
export async function maxCursor(client: pg.Client, schema: string, table: string, cursor: string): Promise<string | null> {
  // warehouse: the new high-water mark
  const r = await client.query<{ mark: string | null }>(`SELECT max(${q(cursor)})::text AS mark FROM ${qualified(schema, table)}`);
  return r.rows[0]?.mark ?? null;
}

export interface LoadState {
  mappingId: string;
  targetTable: string;
  cursorColumn: string | null;
  highWaterMark: string | null;
  jobId: string;
}

/** The stored mark of a mapping, locked until the transaction ends (two loads of one mapping queue here). */
export async function lockLoadState(client: pg.Client, schema: string, mappingId: string): Promise<{ targetTable: string; cursorColumn: string | null; highWaterMark: string | null } | null> {
  // warehouse: a mapping's high-water mark
  const r = await client.query<{ target_table: string; cursor_column: string | null; high_water_mark: string | null }>(
    `SELECT target_table, cursor_column, high_water_mark FROM ${qualified(schema, STATE_TABLE)} WHERE mapping_id = $1 FOR UPDATE`,
    [mappingId],
  );
  const row = r.rows[0];
  return row ? { targetTable: row.target_table, cursorColumn: row.cursor_column, highWaterMark: row.high_water_mark } : null;
}

export async function saveLoadState(client: pg.Client, schema: string, state: LoadState): Promise<void> {
  // warehouse: record a mapping's high-water mark (commits with the load)
  await client.query(
    `INSERT INTO ${qualified(schema, STATE_TABLE)} (mapping_id, target_table, cursor_column, high_water_mark, job_id, loaded_at) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (mapping_id) DO UPDATE SET target_table = EXCLUDED.target_table, cursor_column = EXCLUDED.cursor_column, high_water_mark = EXCLUDED.high_water_mark, job_id = EXCLUDED.job_id, loaded_at = EXCLUDED.loaded_at`,
    [state.mappingId, state.targetTable, state.cursorColumn, state.highWaterMark, state.jobId],
  );
}
