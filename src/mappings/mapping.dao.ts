import { sql } from 'kysely';
import type { TenantDb } from '../db/database.js';
import { countByParent, countRows, fetchPage, fetchPagesByParent, type ListColumns, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type {
  MappingRow,
  MappingStatus,
  MappingUpdate,
  NewMappingRow,
  StoredFieldMappings,
} from '../db/tables/mappings.table.js';

export interface MappingFilter {
  workspaceId?: string | null;
  status?: MappingStatus | null;
  sourceTable?: string | null;
  targetTable?: string | null;
  /** `field_mappings ? key`: answered by the GIN index. */
  hasTargetField?: string | null;
  /** `field_mappings @> value`: answered by the GIN index. */
  fieldMappingsContain?: StoredFieldMappings | null;
}

const jsonColumns = <T extends Partial<NewMappingRow>>(row: T) => ({
  ...row,
  field_mappings: row.field_mappings === undefined ? undefined : JSON.stringify(row.field_mappings),
  decorators: row.decorators === undefined ? undefined : JSON.stringify(row.decorators),
  cte_definitions: row.cte_definitions === undefined ? undefined : JSON.stringify(row.cte_definitions),
  incremental: row.incremental == null ? row.incremental : JSON.stringify(row.incremental),
});

export function insertMapping(db: TenantDb, row: NewMappingRow): Promise<MappingRow> {
  return mapDbErrors(() =>
    db
      .insertInto('mappings')
      .values(jsonColumns(row) as NewMappingRow)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findMappingById(db: TenantDb, id: string): Promise<MappingRow | undefined> {
  return db.selectFrom('mappings').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findMappingsByIds(db: TenantDb, ids: readonly string[]): Promise<MappingRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('mappings').selectAll().where('id', 'in', ids).execute();
}

function filtered(db: TenantDb, f: MappingFilter) {
  let q = db.selectFrom('mappings');
  if (f.workspaceId != null) q = q.where('workspace_id', '=', f.workspaceId);
  if (f.status != null) q = q.where('status', '=', f.status);
  if (f.sourceTable != null) q = q.where('source_table', '=', f.sourceTable);
  if (f.targetTable != null) q = q.where('target_table', '=', f.targetTable);
  // mapping filters on field_mappings use mappings_field_mappings_idx (GIN, jsonb_ops)
  if (f.hasTargetField != null) q = q.where(sql<boolean>`field_mappings ? ${f.hasTargetField}`);
  if (f.fieldMappingsContain != null) {
    q = q.where(sql<boolean>`field_mappings @> ${JSON.stringify(f.fieldMappingsContain)}::jsonb`);
  }
  return q;
}

/** What lists read: every column, the JSONB ones as text parsed on first access (src/db/lazy-json.ts). */
const LIST_COLUMNS: ListColumns = {
  plain: ['id', 'workspace_id', 'target_table', 'source_table', 'status', 'version', 'created_at', 'updated_at', 'incremental'],
  json: ['field_mappings', 'decorators', 'cte_definitions'],
};

export function listMappings(db: TenantDb, filter: MappingFilter, args: PageArgs): Promise<Page<MappingRow>> {
  return fetchPage(filtered(db, filter), 'mappings', args, { db, columns: LIST_COLUMNS }) as Promise<Page<MappingRow>>;
}

export function countMappings(db: TenantDb, filter: MappingFilter): Promise<number> {
  return countRows(filtered(db, filter));
}

export function pagesByWorkspaceIds(db: TenantDb, workspaceIds: readonly string[], filter: MappingFilter, args: PageArgs): Promise<Map<string, Page<MappingRow>>> {
  return fetchPagesByParent(db, filtered(db, filter), 'mappings', 'workspace_id', workspaceIds, args, LIST_COLUMNS) as Promise<Map<string, Page<MappingRow>>>;
}

export function countsByWorkspaceIds(db: TenantDb, workspaceIds: readonly string[], filter: MappingFilter) {
  return countByParent(filtered(db, filter), 'workspace_id', workspaceIds);
}

/**
 * Optimistic update: applies only when the stored version is `expectedVersion`
 * and bumps it; undefined means the row is gone or the version moved on.
 */
export function updateMappingAtVersion(
  db: TenantDb,
  id: string,
  expectedVersion: number,
  patch: Omit<MappingUpdate, 'version'>,
): Promise<MappingRow | undefined> {
  return mapDbErrors(() =>
    db
      .updateTable('mappings')
      .set({ ...(jsonColumns(patch) as MappingUpdate), version: sql<number>`version + 1` })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .returningAll()
      .executeTakeFirst(),
  );
}

export function updateMappingStatus(db: TenantDb, id: string, from: MappingStatus, to: MappingStatus) {
  return db
    .updateTable('mappings')
    .set({ status: to, version: sql<number>`version + 1` })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteMapping(db: TenantDb, id: string): Promise<boolean> {
  const res = await db.deleteFrom('mappings').where('id', '=', id).executeTakeFirst();
  return res.numDeletedRows > 0n;
}

/** What a schema diff needs of every mapping of a workspace: what it reads (no paging: diffs look at all). */
export function findMappingReadsByWorkspace(
  db: TenantDb,
  workspaceId: string,
): Promise<Pick<MappingRow, 'id' | 'source_table' | 'target_table' | 'field_mappings' | 'decorators' | 'cte_definitions'>[]> {
  return db
    .selectFrom('mappings')
    .select(['id', 'source_table', 'target_table', 'field_mappings', 'decorators', 'cte_definitions'])
    .where('workspace_id', '=', workspaceId)
    .execute();
}
