import type pg from 'pg';
import { SourceConnectionError } from '../errors.js';
import type { DiscoveredSchema, DiscoveredTable, SourceTableKind } from './discovered-schema.js';

/** Limits of what one discovery stores (they match the stored schema cache's limits). */
export const MAX_TABLES = 10_000;
export const MAX_COLUMNS_PER_TABLE = 5_000;

const KIND: Record<string, SourceTableKind> = { r: 'table', p: 'table', v: 'view', m: 'materialized_view', f: 'foreign_table' };

interface ColumnRow {
  schema_name: string;
  table_name: string;
  relkind: string;
  column_name: string;
  data_type: string;
  nullable: boolean;
  is_primary_key: boolean;
  ordinal_position: number;
}

// Hand-written catalog query: every column of the tables, partitioned-table parents, views,
// materialized views and foreign tables the connected user may read, outside the system schemas.
// Partitions are left out (their parent stands for them); format_type gives the declared type.
const COLUMNS_SQL = `
select n.nspname as schema_name, c.relname as table_name, c.relkind::text as relkind,
       a.attname as column_name, format_type(a.atttypid, a.atttypmod) as data_type,
       not a.attnotnull as nullable,
       coalesce(a.attnum = any (pk.indkey::int2[]), false) as is_primary_key,
       row_number() over (partition by c.oid order by a.attnum)::int as ordinal_position
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  left join pg_catalog.pg_index pk on pk.indrelid = c.oid and pk.indisprimary
 where c.relkind in ('r', 'p', 'v', 'm', 'f')
   and not c.relispartition
   and n.nspname not in ('pg_catalog', 'information_schema')
   and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
   and has_schema_privilege(n.oid, 'USAGE')
   and has_column_privilege(c.oid, a.attnum, 'SELECT')
 order by n.nspname, c.relname, a.attnum`;

// Hand-written catalog query: how many relations discovery would see (the connection test's last check).
const COUNT_SQL = `
select count(*)::int as n
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p', 'v', 'm', 'f')
   and not c.relispartition
   and n.nspname not in ('pg_catalog', 'information_schema')
   and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
   and has_schema_privilege(n.oid, 'USAGE')
   and has_any_column_privilege(c.oid, 'SELECT')`;

const readFailure = (error: unknown): SourceConnectionError => {
  const code = (error as { code?: unknown }).code;
  if (code === '57014') return new SourceConnectionError('read_catalog', 'reading the catalog took longer than the allowed time', code);
  if (code === '42501') return new SourceConnectionError('read_catalog', 'the user may not read the catalog (permission denied)', code);
  return new SourceConnectionError('read_catalog', 'the catalog could not be read', typeof code === 'string' ? code : null);
};

/** How many tables and views the connected user can read (outside system schemas). */
export async function countReadableRelations(client: pg.Client): Promise<number> {
  try {
    const res = await client.query<{ n: number }>(COUNT_SQL);
    return res.rows[0]?.n ?? 0;
  } catch (error) {
    throw readFailure(error);
  }
}

/**
 * Reads the schema of a connected PostgreSQL database: tables and views with
 * their columns (declared type, nullability, primary key, position), named by
 * schema. Throws SourceConnectionError (step read_catalog) when the catalog
 * cannot be read or holds more than the limits.
 */
export async function introspectPostgres(client: pg.Client): Promise<DiscoveredSchema> {
  let rows: ColumnRow[];
  try {
    rows = (await client.query<ColumnRow>(COLUMNS_SQL)).rows;
  } catch (error) {
    throw readFailure(error);
  }
  const tables: DiscoveredTable[] = [];
  let current: DiscoveredTable | undefined;
  for (const r of rows) {
    if (!current || current.schema !== r.schema_name || current.name !== r.table_name) {
      current = { schema: r.schema_name, name: r.table_name, kind: KIND[r.relkind] ?? 'table', columns: [] };
      tables.push(current);
      if (tables.length > MAX_TABLES) {
        throw new SourceConnectionError('read_catalog', `the source has more than ${MAX_TABLES} tables and views the user can read; limit the user's access`, null);
      }
    }
    if (current.columns.length >= MAX_COLUMNS_PER_TABLE) {
      throw new SourceConnectionError('read_catalog', `table ${r.schema_name}.${r.table_name} has more than ${MAX_COLUMNS_PER_TABLE} columns`, null);
    }
    current.columns.push({
      name: r.column_name,
      dataType: r.data_type,
      nullable: r.nullable,
      isPrimaryKey: r.is_primary_key,
      ordinalPosition: r.ordinal_position,
    });
  }
  return { tables };
}
