import { sql } from 'kysely';
import type { TenantDb } from '../db/database.js';
import { planPage, toPage, type Page, type PageArgs, type PagePlan } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { MappingVersionRow } from '../db/tables/mapping-versions.table.js';
import type { MappingRow } from '../db/tables/mappings.table.js';

/**
 * Stored states of mappings. Lists run newest version first and page on the
 * version number (not on a timestamp: versions are strictly ordered, and two
 * made in one instant stay apart); cursors still carry the row id.
 */

/** Stores `row` as it is now, as version `row.version`, made by `changedBy`. */
export function insertMappingVersion(db: TenantDb, row: MappingRow, changedBy: string | null): Promise<MappingVersionRow> {
  return mapDbErrors(() =>
    db
      .insertInto('mapping_versions')
      .values({
        mapping_id: row.id,
        version: row.version,
        target_table: row.target_table,
        source_table: row.source_table,
        field_mappings: JSON.stringify(row.field_mappings),
        decorators: JSON.stringify(row.decorators),
        cte_definitions: JSON.stringify(row.cte_definitions),
        status: row.status,
        changed_by: changedBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

/** The stored states of one mapping at the given versions (those that exist). */
export function findMappingVersions(db: TenantDb, mappingId: string, versions: readonly number[]): Promise<MappingVersionRow[]> {
  if (versions.length === 0) return Promise.resolve([]);
  return db.selectFrom('mapping_versions').selectAll().where('mapping_id', '=', mappingId).where('version', 'in', versions).execute();
}

function ranked(db: TenantDb, mappingIds: readonly string[], plan: PagePlan) {
  let q = db.selectFrom('mapping_versions').where('mapping_id', 'in', mappingIds);
  if (plan.cursorId) {
    // keyset on version within the cursor row's mapping
    const cursor = db.selectFrom('mapping_versions as cursor_row').where('cursor_row.id', '=', plan.cursorId);
    q = q.where((eb) =>
      eb('version', plan.forward ? '<' : '>', cursor.select('cursor_row.version')).and('mapping_id', '=', cursor.select('cursor_row.mapping_id')),
    );
  }
  const order = sql.raw(plan.forward ? 'version desc' : 'version asc');
  return q.selectAll().select(sql<number>`row_number() over (partition by mapping_id order by ${order})`.as('page_rn'));
}

/** One page of versions per mapping, in one statement (mapping.versions, batched across mappings). */
export async function versionPagesByMappingIds(db: TenantDb, mappingIds: readonly string[], args: PageArgs): Promise<Map<string, Page<MappingVersionRow>>> {
  const plan = planPage(args);
  const grouped = new Map<string, MappingVersionRow[]>(mappingIds.map((id) => [id, []]));
  if (mappingIds.length > 0) {
    const rows = await db
      .selectFrom(ranked(db, mappingIds, plan).as('ranked'))
      .selectAll()
      .where('page_rn', '<=', plan.limit + 1)
      .orderBy('page_rn')
      .execute();
    for (const { page_rn: _rank, ...row } of rows) grouped.get(row.mapping_id)?.push(row);
  }
  return new Map([...grouped].map(([id, rows]) => [id, toPage(rows, plan)]));
}

/** How many versions each mapping has, in one grouped statement. */
export async function versionCountsByMappingIds(db: TenantDb, mappingIds: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map(mappingIds.map((id) => [id, 0]));
  if (mappingIds.length === 0) return counts;
  const rows = await db
    .selectFrom('mapping_versions')
    .where('mapping_id', 'in', mappingIds)
    .select(['mapping_id', sql<number>`count(*)::int`.as('count')])
    .groupBy('mapping_id')
    .execute();
  for (const r of rows) counts.set(r.mapping_id, r.count);
  return counts;
}
