import type pg from 'pg';

/**
 * Statements run on a customer's source database on the worker's behalf. The
 * mapping's SELECT is compiled and checked by src/mappings/sql before it gets
 * here; it runs read-only, and the transaction is always rolled back.
 */

/** Up to `rowLimit` rows of a SELECT, read-only: the column names and the rows as arrays. */
export async function readOnlyRows(client: pg.Client, select: string, rowLimit: number): Promise<{ columns: string[]; rows: unknown[][] }> {
  await client.query('BEGIN READ ONLY');
  try {
    // source query: the mapping's rows, at most rowLimit
    const result = await client.query<unknown[]>({ text: `SELECT * FROM (${select}) AS mapped LIMIT ${Math.trunc(rowLimit)}`, rowMode: 'array' });
    return { columns: result.fields.map((f) => f.name), rows: result.rows };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** Cancels the statement a backend is running (another connection's, by its process id). */
export async function cancelBackend(client: pg.Client, pid: number): Promise<void> {
  // source query: cancel the job's in-flight statement
  await client.query('SELECT pg_cancel_backend($1)', [pid]);
}
