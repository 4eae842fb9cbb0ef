import type pg from 'pg';
import { quoteIdent } from '../db/identifiers.js';

/**
 * Statements run on a customer's source database on the worker's behalf. The
 * mapping's SELECT is compiled and checked by src/mappings/sql before it gets
 * here; it runs read-only, and the transaction is always rolled back.
 */

/**
 * How a read-only transaction on a source begins. For a job, one message also
 * names the transaction after it (`application_name`, so pg_stat_activity says
 * whose statement runs, on a new connection or one an earlier job used) and
 * drops any session advisory lock left on a reused connection: the reads below
 * send it with their first statement, so it costs no round trip of its own.
 */
export function beginReadOnly(client: pg.Client, applicationName: string): string {
  // source query: read-only transaction named after the job
  return `BEGIN READ ONLY; SELECT set_config('application_name', ${client.escapeLiteral(applicationName)}, true), pg_advisory_unlock_all()`;
}

/**
 * Ends a read's transaction, whatever state it is in. Sent even when the
 * client's transaction status says idle: a failed statement rejects its query
 * before the server's ReadyForQuery updates that status, and the ROLLBACK
 * queues behind it.
 */
const rollBack = (client: pg.Client) => client.query('ROLLBACK').then(() => undefined, () => undefined);

/**
 * Up to `rowLimit` rows of a SELECT, read-only: the column names and the rows
 * as arrays. The transaction's begin (beginReadOnly), the SELECT and the
 * ROLLBACK go in one message, one round trip; a failed statement skips the
 * rest of the message, ROLLBACK included, so a failure is rolled back here.
 */
export async function readOnlyRows(client: pg.Client, select: string, rowLimit: number, begin: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  try {
    // source query: the mapping's rows, at most rowLimit
    const results = (await client.query<unknown[]>({ text: `${begin}; SELECT * FROM (${select}) AS mapped LIMIT ${Math.trunc(rowLimit)}; ROLLBACK`, rowMode: 'array' })) as unknown as pg.QueryArrayResult[];
    const result = results.at(-2)!;
    return { columns: result.fields.map((f) => f.name), rows: result.rows };
  } catch (err) {
    await rollBack(client);
    throw err;
  }
}

/** Cancels the statement a backend is running (another connection's, by its process id). */
export async function cancelBackend(client: pg.Client, pid: number): Promise<void> {
  // source query: cancel the job's in-flight statement
  await client.query('SELECT pg_cancel_backend($1)', [pid]);
}

/** A result column and the SQL type a warehouse table gives it. */
export interface ResultColumn {
  name: string;
  type: string;
}

// Types below this OID are PostgreSQL's own (FirstNormalObjectId); others (enums, domains, extensions) may not exist in the warehouse.
const FIRST_USER_OID = 16384;

/** The columns of a SELECT and their types (`format_type`), without reading a row; types of the source's own making become text. */
export async function describeSelect(client: pg.Client, select: string, begin: string): Promise<ResultColumn[]> {
  try {
    // source query: the mapping's result shape, no rows
    const results = (await client.query({ text: `${begin}; SELECT * FROM (${select}) AS mapped LIMIT 0`, rowMode: 'array' })) as unknown as pg.QueryArrayResult[];
    const shape = results.at(-1)!;
    const oids = shape.fields.map((f) => f.dataTypeID);
    const mods = shape.fields.map((f) => f.dataTypeModifier);
    // source query: the SQL names of the result's types
    const named = await client.query<{ type: string }>('SELECT format_type(t.oid, t.mod) AS type FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS t(oid, mod, n) ORDER BY t.n', [oids, mods]);
    return shape.fields.map((f, i) => ({ name: f.name, type: f.dataTypeID < FIRST_USER_OID ? named.rows[i]!.type : 'text' }));
  } finally {
    await rollBack(client);
  }
}

/** Every value as PostgreSQL's text output, so it reaches the warehouse exactly as the source printed it. */
const AS_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export interface BatchRead {
  batchRows: number;
  /** Only rows whose `column` is at least `from` (an incremental load), read in the column's order. */
  since?: { column: string; from: string | null } | null;
}

/**
 * A SELECT's rows in batches of `batchRows` (values as text, null as null),
 * through a cursor in a read-only transaction: each FETCH is its own statement,
 * so the session's statement timeout bounds a batch, not the whole read, and
 * the caller can stop (and check cancellation) between batches. Rolled back
 * when the read ends or the caller stops early.
 */
export async function* readBatches(client: pg.Client, select: string, read: BatchRead, begin: string): AsyncGenerator<(string | null)[][]> {
  try {
    await client.query(begin);
    const col = read.since ? quoteIdent(read.since.column) : null;
    const where = col && read.since?.from != null ? ` WHERE mapped.${col} >= $1` : '';
    const order = col ? ` ORDER BY mapped.${col}` : '';
    // source query: the mapping's rows (past the high-water mark for an incremental load)
    await client.query(`DECLARE datalinx_rows NO SCROLL CURSOR FOR SELECT * FROM (${select}) AS mapped${where}${order}`, where ? [read.since!.from] : []);
    const size = Math.max(1, Math.trunc(read.batchRows));
    for (;;) {
      // source query: the next batch
      const batch = await client.query<(string | null)[]>({ text: `FETCH ${size} FROM datalinx_rows`, rowMode: 'array', types: AS_TEXT });
      if (batch.rows.length > 0) yield batch.rows;
      if (batch.rows.length < size) break;
    }
  } finally {
    await rollBack(client);
  }
}
