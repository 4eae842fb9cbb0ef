import { sql, type QueryCreator, type SelectQueryBuilder } from 'kysely';
import type { TenantDatabase, TenantDb } from '../db/database.js';
import { countByParent, countQuery, fetchPage, fetchPagesByParent, type Keyset, type ListColumns, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { MappingRow, MappingStatus, MappingUpdate, NewMappingRow } from '../db/tables/mappings.table.js';
import {
  countingFieldSources,
  deleteDroppedFieldSourcesOf,
  hasFieldSourceRows,
  insertFieldSourcesOf,
  matchingFieldSources,
  toContainment,
  upsertFieldSourcesOf,
  type FieldMappingSearch,
} from './mapping-field-source.dao.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';
import type { WorkspaceRow } from '../db/tables/workspaces.table.js';
import { WORKSPACE_TIMESTAMPS } from '../workspaces/workspace.dao.js';

export interface MappingFilter {
  workspaceId?: string | null;
  status?: MappingStatus | null;
  sourceTable?: string | null;
  targetTable?: string | null;
  /** `field_mappings ? key`: answered by the GIN index. */
  hasTargetField?: string | null;
  /** `field_mappings @> {targetField: {source, transform}}`, answered by mapping_field_sources (mapping-field-source.dao.ts). */
  fieldMappingsContain?: FieldMappingSearch | null;
}

const jsonColumns = <T extends Partial<NewMappingRow>>(row: T) => ({
  ...row,
  field_mappings: row.field_mappings === undefined ? undefined : JSON.stringify(row.field_mappings),
  decorators: row.decorators === undefined ? undefined : JSON.stringify(row.decorators),
  cte_definitions: row.cte_definitions === undefined ? undefined : JSON.stringify(row.cte_definitions),
  incremental: row.incremental == null ? row.incremental : JSON.stringify(row.incremental),
});

/** Inserts a mapping and its mapping_field_sources rows, in one statement. */
export function insertMapping(db: TenantDb, row: NewMappingRow): Promise<MappingRow> {
  return mapDbErrors(() =>
    db
      .with('inserted', (qb) => qb.insertInto('mappings').values(jsonColumns(row) as NewMappingRow).returningAll())
      .with('inserted_sources', (qb) => insertFieldSourcesOf(qb, 'inserted'))
      .selectFrom('inserted')
      .selectAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findMappingById(db: TenantDb, id: string): Promise<MappingRow | undefined> {
  return db.selectFrom('mappings').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findMappingsByIds(db: TenantDb, ids: readonly string[]): Promise<MappingRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return compiledOnce(db, 'mappings by ids', () => db.selectFrom('mappings').selectAll().where('id', '=', anyOf(ids)), [ids]);
}

export interface MappingWithWorkspace {
  mapping: MappingRow;
  workspace: WorkspaceRow;
}

/** The name of the workspace's JSON in findMappingWithWorkspace's row (no column of mappings). */
const JOINED_WORKSPACE = 'joined_workspace';

/**
 * A mapping and its workspace in one statement (the mapping editor reads
 * both), each as `select *` reads it by id. The workspace comes as one JSONB
 * value of a scalar subquery: PostgreSQL plans that for a fraction of what a
 * join of the two tables costs it (bench/README.md). JSON carries its
 * timestamps as text, made Dates again here (WORKSPACE_TIMESTAMPS).
 */
export async function findMappingWithWorkspace(db: TenantDb, id: string): Promise<MappingWithWorkspace | undefined> {
  const [row] = await compiledOnce(
    db,
    'mapping with its workspace',
    () =>
      db
        .selectFrom('mappings as m')
        .selectAll('m')
        .select((eb) =>
          eb
            .selectFrom('workspaces as w')
            .select(sql<Record<string, unknown>>`to_jsonb(w)`.as('workspace'))
            .whereRef('w.id', '=', 'm.workspace_id')
            .as(JOINED_WORKSPACE),
        )
        .where('m.id', '=', id),
    [id],
  );
  if (!row) return undefined;
  const { [JOINED_WORKSPACE]: workspace, ...mapping } = row;
  if (!workspace) throw new Error(`mapping ${id} has no workspace`);
  for (const column of WORKSPACE_TIMESTAMPS) {
    const text = workspace[column];
    if (typeof text === 'string') workspace[column] = new Date(text);
  }
  return { mapping: mapping as MappingRow, workspace: workspace as WorkspaceRow };
}

type MappingsQuery = SelectQueryBuilder<TenantDatabase, 'mappings', object>;

/** Where a list with the contains filter is cut: the side table's copy of (created_at, id), in its index's order. */
const FIELD_SOURCE_KEYSET: Keyset = { createdAt: 's.mapping_created_at', id: 's.mapping_id' };

/** Whether the contains filter is answered by joining mapping_field_sources (as `s`), which then orders the page. */
const joinsFieldSources = (f: MappingFilter): f is MappingFilter & { fieldMappingsContain: FieldMappingSearch } =>
  f.fieldMappingsContain != null && hasFieldSourceRows(f.fieldMappingsContain);

function filtered(db: TenantDb, f: MappingFilter): MappingsQuery {
  let q = db.selectFrom('mappings');
  if (joinsFieldSources(f)) {
    // One row of mapping_field_sources per matching mapping (its key is mapping and target field); none of
    // its columns shares a name with one of mappings, so the list's other conditions and columns stay unqualified.
    q = q.innerJoin('mapping_field_sources as s', 's.mapping_id', 'mappings.id').where(matchingFieldSources(f.fieldMappingsContain)) as unknown as MappingsQuery;
  } else if (f.fieldMappingsContain != null) {
    // A target field too long to have rows (see mapping-field-source.dao.ts): the GIN index, same semantics.
    q = q.where(sql<boolean>`field_mappings @> ${JSON.stringify(toContainment(f.fieldMappingsContain))}::jsonb`);
  }
  if (f.workspaceId != null) q = q.where('workspace_id', '=', f.workspaceId);
  if (f.status != null) q = q.where('status', '=', f.status);
  if (f.sourceTable != null) q = q.where('source_table', '=', f.sourceTable);
  if (f.targetTable != null) q = q.where('target_table', '=', f.targetTable);
  // hasTargetField uses mappings_field_mappings_idx (GIN, jsonb_ops)
  if (f.hasTargetField != null) q = q.where(sql<boolean>`field_mappings ? ${f.hasTargetField}`);
  return q;
}

/** What lists read: every column, the JSONB ones as text parsed on first access (src/db/lazy-json.ts): a listed row is the row `select *` reads by id (tests/db/list-columns.test.ts). */
export const LIST_COLUMNS: ListColumns<MappingRow> = {
  plain: ['id', 'workspace_id', 'target_table', 'source_table', 'status', 'version', 'created_at', 'updated_at', 'incremental'],
  json: ['field_mappings', 'decorators', 'cte_definitions'],
};

/** The count of a filtered list as a query (selecting `count`), run alone or inside the page's statement. */
function counting(db: TenantDb, filter: MappingFilter) {
  const { fieldMappingsContain, ...others } = filter;
  // The contains filter alone: an index-only count of mapping_field_sources, without visiting mappings.
  if (joinsFieldSources(filter) && Object.values(others).every((v) => v == null)) return countingFieldSources(db, fieldMappingsContain!);
  return countQuery(filtered(db, filter));
}

/** A page of mappings; with `args.withTotalCount`, counted in the same statement (page.totalCount). */
export function listMappings(db: TenantDb, filter: MappingFilter, args: PageArgs): Promise<Page<MappingRow>> {
  const read = { db, columns: LIST_COLUMNS, keyset: joinsFieldSources(filter) ? FIELD_SOURCE_KEYSET : undefined, count: counting(db, filter) };
  return fetchPage(filtered(db, filter), 'mappings', args, read) as Promise<Page<MappingRow>>;
}

export async function countMappings(db: TenantDb, filter: MappingFilter): Promise<number> {
  return (await counting(db, filter).executeTakeFirstOrThrow()).count;
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
  // The update as a statement of its own, or as the CTE `updated` of one that also rewrites the side table.
  const update = (qb: QueryCreator<TenantDatabase>) =>
    qb
      .updateTable('mappings')
      .set({ ...(jsonColumns(patch) as MappingUpdate), version: sql<number>`version + 1` })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .returningAll();
  if (patch.field_mappings === undefined) return mapDbErrors(() => update(db).executeTakeFirst());
  // New field mappings: the mapping's mapping_field_sources rows follow in the same statement.
  return mapDbErrors(() =>
    db
      .with('updated', (qb) => update(qb as unknown as QueryCreator<TenantDatabase>))
      .with('dropped_sources', (qb) => deleteDroppedFieldSourcesOf(qb, 'updated'))
      .with('upserted_sources', (qb) => upsertFieldSourcesOf(qb, 'updated'))
      .selectFrom('updated')
      .selectAll()
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
