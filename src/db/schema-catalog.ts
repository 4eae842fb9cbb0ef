import { sql, type Transaction } from 'kysely';
import type { PlatformDatabase } from './database.js';

/**
 * What PostgreSQL's catalog says one schema holds, with every definition
 * printed as PostgreSQL prints it and names unqualified inside the schema
 * (the caller's transaction has the schema first on its search_path). Two
 * schemas built differently compare equal exactly when their tables, columns,
 * constraints, indexes and triggers are the same.
 */
export interface SchemaCatalog {
  tables: {
    name: string;
    columns: { name: string; type: string; default: string | null; notNull: boolean; collation: string | null }[];
    /** Non-foreign-key constraints (primary key, unique, check, exclusion), by name. */
    constraints: { name: string; definition: string }[];
    foreignKeys: { name: string; definition: string }[];
    /** Indexes that no constraint owns. */
    indexes: string[];
    triggers: string[];
  }[];
}

export class UnsupportedSchemaObjectError extends Error {
  override name = 'UnsupportedSchemaObjectError';
}

type Trx = Transaction<PlatformDatabase>;

/** Refuses what the snapshot does not reproduce yet, so a snapshot never silently drops an object. */
async function checkSupported(trx: Trx, schema: string): Promise<void> {
  // schema catalog: objects other than plain tables and their indexes
  const { rows } = await sql<{ what: string }>`
    select 'relation kind ' || c.relkind::text || ' ' || c.relname as what from pg_class c
      where c.relnamespace = ${schema}::regnamespace and c.relkind not in ('r', 'i')
    union all select 'function ' || p.proname from pg_proc p where p.pronamespace = ${schema}::regnamespace
    union all select 'type ' || t.typname from pg_type t
      where t.typnamespace = ${schema}::regnamespace and t.typrelid = 0 and t.typelem = 0
    union all select 'column ' || c.relname || '.' || a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relnamespace = ${schema}::regnamespace and a.attnum > 0 and not a.attisdropped
        and (a.attidentity <> '' or a.attgenerated <> '')
    union all select 'table options of ' || c.relname from pg_class c
      where c.relnamespace = ${schema}::regnamespace and c.reloptions is not null
    union all select 'policy ' || p.polname from pg_policy p join pg_class c on c.oid = p.polrelid
      where c.relnamespace = ${schema}::regnamespace
    order by 1`.execute(trx);
  if (rows.length > 0) {
    throw new UnsupportedSchemaObjectError(
      `the tenant snapshot does not reproduce ${rows.map((r) => r.what).join(', ')} yet: extend src/db/schema-catalog.ts`,
    );
  }
}

/** Reads the catalog of `schema`; run it in a transaction whose search_path starts with `schema`. */
export async function readSchemaCatalog(trx: Trx, schema: string): Promise<SchemaCatalog> {
  await checkSupported(trx, schema);
  // schema catalog: tables in creation order
  const tables = await sql<{ oid: number; name: string }>`
    select c.oid::int as oid, c.relname as name from pg_class c
    where c.relnamespace = ${schema}::regnamespace and c.relkind = 'r' order by c.oid`.execute(trx);
  const catalog: SchemaCatalog = { tables: [] };
  // pg_get_indexdef and pg_get_triggerdef always qualify the table: make it relative.
  const unqualified = (definition: string) => definition.replace(` ON ${schema}.`, ' ON ');
  for (const table of tables.rows) {
    // schema catalog: columns, constraints, indexes and triggers of one table
    const [columns, constraints, indexes, triggers] = await Promise.all([
      sql<SchemaCatalog['tables'][number]['columns'][number]>`
        select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
               pg_get_expr(d.adbin, d.adrelid) as default, a.attnotnull as "notNull",
               case when a.attcollation <> t.typcollation then quote_ident(co.collname) end as collation
        from pg_attribute a join pg_type t on t.oid = a.atttypid
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        left join pg_collation co on co.oid = a.attcollation
        where a.attrelid = ${table.oid} and a.attnum > 0 and not a.attisdropped order by a.attnum`.execute(trx),
      sql<{ name: string; definition: string; foreign: boolean }>`
        select conname as name, pg_get_constraintdef(oid) as definition, contype = 'f' as foreign
        from pg_constraint where conrelid = ${table.oid} and contype in ('p', 'u', 'c', 'x', 'f')
        order by contype = 'f', contype <> 'p', conname`.execute(trx),
      sql<{ definition: string }>`
        select pg_get_indexdef(i.indexrelid) as definition from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        where i.indrelid = ${table.oid} and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid)
        order by ic.relname`.execute(trx),
      sql<{ definition: string }>`
        select pg_get_triggerdef(oid) as definition from pg_trigger
        where tgrelid = ${table.oid} and not tgisinternal order by tgname`.execute(trx),
    ]);
    catalog.tables.push({
      name: table.name,
      columns: columns.rows,
      constraints: constraints.rows.filter((c) => !c.foreign).map(({ name, definition }) => ({ name, definition })),
      foreignKeys: constraints.rows.filter((c) => c.foreign).map(({ name, definition }) => ({ name, definition })),
      indexes: indexes.rows.map((r) => unqualified(r.definition)),
      triggers: triggers.rows.map((r) => unqualified(r.definition)),
    });
  }
  return catalog;
}

const ident = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

/** The DDL that rebuilds the catalog's objects in whatever schema is first on the search_path. */
export function renderSchemaDdl(catalog: SchemaCatalog): string {
  const out: string[] = [];
  for (const t of catalog.tables) {
    const lines = [
      ...t.columns.map(
        (c) =>
          `  ${ident(c.name)} ${c.type}${c.collation ? ` COLLATE ${c.collation}` : ''}` +
          `${c.notNull ? ' NOT NULL' : ''}${c.default !== null ? ` DEFAULT ${c.default}` : ''}`,
      ),
      ...t.constraints.map((c) => `  CONSTRAINT ${ident(c.name)} ${c.definition}`),
    ];
    out.push(`CREATE TABLE ${ident(t.name)} (\n${lines.join(',\n')}\n);`);
    out.push(...t.indexes.map((i) => `${i};`), ...t.triggers.map((tr) => `${tr};`), '');
  }
  for (const t of catalog.tables) {
    for (const fk of t.foreignKeys) out.push(`ALTER TABLE ${ident(t.name)} ADD CONSTRAINT ${ident(fk.name)} ${fk.definition};`);
  }
  return `${out.join('\n').trim()}\n`;
}
