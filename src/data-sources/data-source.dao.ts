import { sql } from 'kysely';
import type { TenantDb } from '../db/database.js';
import { countByParent, fetchPagesByParent, type ListColumns, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { DataSourceRow, DataSourceSummary, DataSourceUpdate, NewDataSourceRow } from '../db/tables/data-sources.table.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';

const jsonOrNull = (v: unknown) => (v === undefined ? undefined : v === null ? null : JSON.stringify(v));

export function insertDataSource(db: TenantDb, row: NewDataSourceRow): Promise<DataSourceRow> {
  return mapDbErrors(() =>
    db
      .insertInto('data_sources')
      .values({
        ...row,
        connection_config: JSON.stringify(row.connection_config),
        schema_cache: jsonOrNull(row.schema_cache),
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findDataSourceById(db: TenantDb, id: string): Promise<DataSourceRow | undefined> {
  return db.selectFrom('data_sources').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findDataSourcesByIds(db: TenantDb, ids: readonly string[]): Promise<DataSourceRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return compiledOnce(db, 'data sources by ids', () => db.selectFrom('data_sources').selectAll().where('id', '=', anyOf(ids)), [ids]);
}

export interface DataSourceFilter {
  isActive?: boolean | null;
}

function filtered(db: TenantDb, filter: DataSourceFilter) {
  let q = db.selectFrom('data_sources');
  if (filter.isActive != null) q = q.where('is_active', '=', filter.isActive);
  return q;
}

/** Every column but schema_cache: lists never parse cached schemas they do not show, and parse settings when read. */
export const SUMMARY_COLUMNS: ListColumns<DataSourceSummary> = {
  plain: ['id', 'workspace_id', 'name', 'source_type', 'last_schema_refresh', 'created_at', 'is_active'],
  json: ['connection_config'],
};

export function pagesByWorkspaceIds(
  db: TenantDb,
  workspaceIds: readonly string[],
  filter: DataSourceFilter,
  args: PageArgs,
): Promise<Map<string, Page<DataSourceSummary>>> {
  return fetchPagesByParent(db, filtered(db, filter), 'data_sources', 'workspace_id', workspaceIds, args, SUMMARY_COLUMNS) as Promise<Map<string, Page<DataSourceSummary>>>;
}

export function findSchemaCachesByIds(db: TenantDb, ids: readonly string[]): Promise<Pick<DataSourceRow, 'id' | 'schema_cache'>[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return compiledOnce(db, 'schema caches by ids', () => db.selectFrom('data_sources').select(['id', 'schema_cache']).where('id', '=', anyOf(ids)), [ids]);
}

export function countsByWorkspaceIds(db: TenantDb, workspaceIds: readonly string[], filter: DataSourceFilter) {
  return countByParent(filtered(db, filter), 'workspace_id', workspaceIds);
}

export function updateDataSource(db: TenantDb, id: string, patch: DataSourceUpdate): Promise<DataSourceRow | undefined> {
  const set = {
    ...patch,
    connection_config: patch.connection_config === undefined ? undefined : JSON.stringify(patch.connection_config),
    schema_cache: jsonOrNull(patch.schema_cache),
  };
  return mapDbErrors(() => db.updateTable('data_sources').set(set).where('id', '=', id).returningAll().executeTakeFirst());
}

export async function deleteDataSource(db: TenantDb, id: string): Promise<boolean> {
  const res = await db.deleteFrom('data_sources').where('id', '=', id).executeTakeFirst();
  return res.numDeletedRows > 0n;
}

/** Data sources whose secrets are sealed under another key than `kid` (key rotation). */
export function findSealedUnderOtherKey(db: TenantDb, kid: string): Promise<DataSourceRow[]> {
  return db
    .selectFrom('data_sources')
    .selectAll()
    .where(sql<boolean>`connection_config->'secrets'->>'kid' is distinct from ${kid}`)
    .where(sql<boolean>`connection_config ? 'secrets'`)
    .execute();
}

/** The row, locked until the transaction ends: concurrent schema refreshes diff one after the other. */
export function findDataSourceForUpdate(db: TenantDb, id: string): Promise<DataSourceRow | undefined> {
  return db.selectFrom('data_sources').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}
