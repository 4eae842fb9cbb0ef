import { sql, type QueryCreator, type RawBuilder, type SqlBool } from 'kysely';
import type { TenantDatabase, TenantDb } from '../db/database.js';
import { countQuery } from '../db/pagination.js';
import type { StoredFieldMappings } from '../db/tables/mappings.table.js';

/**
 * mapping_field_sources: one row per field mapping of a mapping, derived from
 * mappings.field_mappings by `datalinx_platform.field_mapping_entries()` (the
 * one definition, migration v1.0.14) and written by the statement that writes
 * the mapping, so `fieldMappingsContain` is an index read in list order.
 */

/** What `fieldMappingsContain` looks for: a target field and, when given, its exact source and transform. */
export interface FieldMappingSearch {
  targetField: string;
  /** Null or absent: any source (a search never asks for a missing one). */
  source?: string | null;
  /** Null or absent: any transform. */
  transform?: string | null;
}

/**
 * Keys longer than this many bytes have no row (a btree entry holds about
 * 2,700), and each index leaves out the rows whose key would exceed it; the
 * migration's function and partial indexes say the same number.
 */
const INDEXED_BYTES = 2000;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The JSONB a search is, for `field_mappings @>`: the semantics the side table reproduces. */
export function toContainment(search: FieldMappingSearch): StoredFieldMappings {
  const entry = Object.fromEntries(Object.entries({ source: search.source, transform: search.transform }).filter(([, v]) => v != null));
  return { [search.targetField]: entry as StoredFieldMappings[string] };
}

/** Whether mapping_field_sources can answer the search: its target field is short enough to have rows. */
export const hasFieldSourceRows = (search: FieldMappingSearch): boolean => bytes(search.targetField) <= INDEXED_BYTES;

/**
 * The partial-index condition of mapping_field_sources_source_idx, written
 * exactly as the index's WHERE (PostgreSQL uses a partial index only when the
 * query repeats its condition), when the search has a source that fits;
 * otherwise none (mapping_field_sources_field_idx holds every row).
 */
function indexCondition(search: FieldMappingSearch, alias: string): RawBuilder<SqlBool> | null {
  if (search.source == null || bytes(search.targetField) + bytes(search.source) > INDEXED_BYTES) return null;
  return sql<SqlBool>`octet_length(${sql.ref(`${alias}.target_field`)}) + octet_length(${sql.ref(`${alias}.source`)}) <= ${sql.lit(INDEXED_BYTES)}`;
}

/** The search as one condition on the mapping_field_sources rows aliased `alias`. */
export function matchingFieldSources(search: FieldMappingSearch, alias = 's'): RawBuilder<SqlBool> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const conditions = [sql`${column('target_field')} = ${search.targetField}`];
  if (search.source != null) conditions.push(sql`${column('source')} = ${search.source}`);
  if (search.transform != null) conditions.push(sql`${column('transform')} = ${search.transform}`);
  const index = indexCondition(search, alias);
  if (index) conditions.push(index);
  return sql<SqlBool>`${sql.join(conditions, sql` and `)}`;
}

/** How many mappings the search matches, as a query (selecting `count`) on the side table's index alone. */
export function countingFieldSources(db: TenantDb, search: FieldMappingSearch) {
  return countQuery(db.selectFrom('mapping_field_sources as s').where(matchingFieldSources(search)));
}

/** The entries of the mapping rows of `from` (a CTE or table with id, created_at, field_mappings), as mapping_field_sources rows. */
const entriesOf = (from: string) =>
  // mapping field sources: the rows a mapping's field_mappings gives (migration v1.0.14 defines the function)
  sql`select m.id as mapping_id, e.target_field, e.source, e.transform, m.created_at as mapping_created_at
      from ${sql.table(from)} m cross join lateral datalinx_platform.field_mapping_entries(m.field_mappings) e`;

const COLUMNS = ['mapping_id', 'target_field', 'source', 'transform', 'mapping_created_at'] as const;

/** In a statement that inserts mappings as the CTE `inserted`: their rows (used as a further CTE). */
export function insertFieldSourcesOf<DB extends TenantDatabase>(qb: QueryCreator<DB>, inserted: string) {
  return (qb as unknown as QueryCreator<TenantDatabase>).insertInto('mapping_field_sources').columns(COLUMNS).expression(entriesOf(inserted));
}

// In a statement that updates a mapping's field_mappings as the CTE `updated`, two further CTEs bring its
// rows along: rows of fields it no longer has are deleted, the others inserted or, when their source or
// transform changed, updated. The two touch different keys, so the order in which PostgreSQL runs them does
// not matter (a delete and an insert of the same key in one statement could collide on the primary key).

/** The rows of fields the mapping updated as `updated` no longer has. */
export function deleteDroppedFieldSourcesOf<DB extends TenantDatabase>(qb: QueryCreator<DB>, updated: string) {
  return (qb as unknown as QueryCreator<TenantDatabase>)
    .deleteFrom('mapping_field_sources')
    // mapping field sources: rows of fields the updated mapping no longer has
    .where(sql<SqlBool>`mapping_id in (select id from ${sql.table(updated)})`)
    .where(sql<SqlBool>`target_field not in (select e.target_field from (${entriesOf(updated)}) e)`);
}

/** The rows of the fields the mapping updated as `updated` has now. */
export function upsertFieldSourcesOf<DB extends TenantDatabase>(qb: QueryCreator<DB>, updated: string) {
  return (qb as unknown as QueryCreator<TenantDatabase>)
    .insertInto('mapping_field_sources')
    .columns(COLUMNS)
    .expression(entriesOf(updated))
    .onConflict((oc) =>
      oc
        .columns(['mapping_id', 'target_field'])
        .doUpdateSet((eb) => ({ source: eb.ref('excluded.source'), transform: eb.ref('excluded.transform') }))
        .where(sql<SqlBool>`(mapping_field_sources.source, mapping_field_sources.transform) is distinct from (excluded.source, excluded.transform)`),
    );
}

/** The mapping_field_sources rows of the stored mappings (all of them, or those of `mappingIds`), as a query. */
function storedEntries(db: TenantDb, mappingIds?: readonly string[]) {
  let q = db
    .selectFrom('mappings as m')
    .innerJoinLateral(sql<{ target_field: string; source: string | null; transform: string | null }>`datalinx_platform.field_mapping_entries(m.field_mappings)`.as('e'), (join) => join.onTrue())
    .select(['m.id', 'e.target_field', 'e.source', 'e.transform', 'm.created_at']);
  if (mappingIds) q = q.where(sql<SqlBool>`m.id = any(${[...mappingIds]}::uuid[])`);
  return q;
}

/**
 * Rows for mappings written by bulk SQL rather than through insertMapping
 * (benchmark and test seeds), in one statement; mappings that have rows
 * already are left alone.
 */
export async function addFieldSourcesOf(db: TenantDb, mappingIds: readonly string[]): Promise<void> {
  if (mappingIds.length === 0) return;
  // mapping field sources: the rows of mappings inserted by bulk SQL
  const missing = storedEntries(db, mappingIds).where((w) => w.not(w.exists(w.selectFrom('mapping_field_sources as have').select('have.mapping_id').whereRef('have.mapping_id', '=', 'm.id'))));
  await db.insertInto('mapping_field_sources').columns(COLUMNS).expression(missing).execute();
}

/**
 * Every mapping's rows derived again from its field_mappings (an imported
 * organization: what an archive carries of a derived table is not trusted).
 */
export async function rebuildFieldSources(db: TenantDb): Promise<void> {
  await db.deleteFrom('mapping_field_sources').execute();
  // mapping field sources: the rows of every mapping
  await db.insertInto('mapping_field_sources').columns(COLUMNS).expression(storedEntries(db)).execute();
}
