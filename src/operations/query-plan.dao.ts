import type pg from 'pg';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  Plans?: PlanNode[];
}

/** Statements EXPLAIN can take; transaction control and session settings are listed but not explained. */
export const EXPLAINABLE = /^\s*(select|with|insert|update|delete|values|table)\b/i;

/**
 * `EXPLAIN (ANALYZE, BUFFERS)` of one statement with its parameters, in a
 * transaction that is rolled back: ANALYZE runs the statement, and whatever it
 * would change is undone. Also the plan's shape as JSON (VERBOSE, not run
 * again) for finding the relations it scans.
 */
export async function explainStatement(client: pg.PoolClient, text: string, values: unknown[]): Promise<{ plan: string[]; tree: PlanNode }> {
  await client.query('BEGIN');
  try {
    // explain: the plan as PostgreSQL prints it, from a real run
    const analyzed = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    // explain: the same plan's shape, for the relations it scans
    const shape = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (VERBOSE, FORMAT JSON) ${text}`, values);
    return { plan: analyzed.rows.map((r) => r['QUERY PLAN']), tree: shape.rows[0]!['QUERY PLAN'][0]!.Plan };
  } finally {
    await client.query('ROLLBACK');
  }
}

/** Estimated rows (from the planner's statistics) of the given `schema.table` relations. */
export async function estimatedRows(client: pg.PoolClient, relations: readonly string[]): Promise<Map<string, number>> {
  if (relations.length === 0) return new Map();
  // explain: table sizes for the sequential-scan warning
  const { rows } = await client.query<{ name: string; rows: number }>(
    `select n.nspname || '.' || c.relname as name,
            case when c.reltuples >= 0 then c.reltuples::bigint
                 else (pg_relation_size(c.oid) / current_setting('block_size')::int * 50)::bigint end as rows
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname || '.' || c.relname = any($1::text[])`,
    [relations],
  );
  return new Map(rows.map((r) => [r.name, Number(r.rows)]));
}
