import pg from 'pg';

/**
 * The preview of a mapping on a customer's PostgreSQL source: its compiled
 * SELECT (checked by src/mappings/sql before it gets here) run read-only, the
 * transaction always rolled back, the session's statement_timeout bounding it.
 */

export interface PreviewColumn { name: string; type: string }
export interface PreviewRows { columns: PreviewColumn[]; rows: unknown[][]; truncated: boolean }

// Values a JSON client can hold without loss stay typed (booleans, 16/32-bit
// integers, floats, json); everything else — bigint, numeric, dates and
// timestamps, bytea, arrays, user types — keeps PostgreSQL's own text form.
const BUILTIN = pg.types.builtins;
const TYPED = new Set<number>([BUILTIN.BOOL, BUILTIN.INT2, BUILTIN.INT4, BUILTIN.FLOAT4, BUILTIN.FLOAT8, BUILTIN.JSON, BUILTIN.JSONB, BUILTIN.OID]);
const previewTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    TYPED.has(oid) ? pg.types.getTypeParser(oid, format ?? 'text') : (value: string) => value,
};

/**
 * Up to `limit` rows of `select` (one more is read to tell whether there are
 * more), with each column's name and its type as PostgreSQL names it
 * (`numeric(10,2)`, `timestamp with time zone`).
 */
export async function previewRows(client: pg.Client, select: string, limit: number): Promise<PreviewRows> {
  const n = Math.trunc(limit);
  await client.query('BEGIN READ ONLY');
  try {
    // source query: the mapping's first rows
    const result = await client.query<unknown[]>({ text: `SELECT * FROM (${select}) AS mapped LIMIT ${n + 1}`, rowMode: 'array', types: previewTypes });
    // source query: the result columns' type names
    const types = await client.query<{ type: string }>(
      'SELECT format_type(t.oid, t.typmod) AS type FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS t(oid, typmod, n) ORDER BY t.n',
      [result.fields.map((f) => f.dataTypeID), result.fields.map((f) => f.dataTypeModifier)],
    );
    return {
      columns: result.fields.map((f, i) => ({ name: f.name, type: types.rows[i]?.type ?? 'unknown' })),
      rows: result.rows.slice(0, n),
      truncated: result.rows.length > n,
    };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
