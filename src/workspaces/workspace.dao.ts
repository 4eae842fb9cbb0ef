import { sql } from 'kysely';
import type { TenantDb } from '../db/database.js';
import { countQuery, countRows, fetchPage, type ListColumns, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { NewWorkspaceRow, WorkspaceRow, WorkspaceUpdate } from '../db/tables/workspaces.table.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';

const json = (v: unknown) => JSON.stringify(v);

export function insertWorkspace(db: TenantDb, row: NewWorkspaceRow): Promise<WorkspaceRow> {
  return mapDbErrors(() =>
    db
      .insertInto('workspaces')
      .values({ ...row, settings: row.settings === undefined ? undefined : json(row.settings) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findWorkspaceById(db: TenantDb, id: string): Promise<WorkspaceRow | undefined> {
  return db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Workspaces whose warehouse secrets are sealed under another key than `kid` (key rotation). */
export function findWarehousesSealedUnderOtherKey(db: TenantDb, kid: string): Promise<WorkspaceRow[]> {
  return db
    .selectFrom('workspaces')
    .selectAll()
    .where(sql<boolean>`warehouse->'connection_config'->'secrets'->>'kid' is distinct from ${kid}`)
    .where(sql<boolean>`warehouse->'connection_config' ? 'secrets'`)
    .execute();
}

export function findWorkspacesByIds(db: TenantDb, ids: readonly string[]): Promise<WorkspaceRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return compiledOnce(db, 'workspaces by ids', () => db.selectFrom('workspaces').selectAll().where('id', '=', anyOf(ids)), [ids]);
}

/** The timestamptz columns: a workspace read as JSON (to_jsonb) has them as text. */
export const WORKSPACE_TIMESTAMPS = ['created_at', 'updated_at'] as const satisfies readonly (keyof WorkspaceRow)[];

/** What lists read: every column, settings and warehouse as text parsed on first access (src/db/lazy-json.ts): a listed row is the row `select *` reads by id (tests/db/list-columns.test.ts). */
export const LIST_COLUMNS: ListColumns<WorkspaceRow> = {
  plain: ['id', 'name', 'description', 'target_schema_id', 'github_repo_url', 'repo_subdirectory', 'created_at', 'updated_at'],
  json: ['settings', 'warehouse'],
};

/** A page of workspaces; with `args.withTotalCount`, counted in the same statement (page.totalCount). */
export function listWorkspaces(db: TenantDb, args: PageArgs): Promise<Page<WorkspaceRow>> {
  const read = { db, columns: LIST_COLUMNS, count: countQuery(db.selectFrom('workspaces')) };
  return fetchPage(db.selectFrom('workspaces'), 'workspaces', args, read) as Promise<Page<WorkspaceRow>>;
}

export function countWorkspaces(db: TenantDb): Promise<number> {
  return countRows(db.selectFrom('workspaces'));
}

export function updateWorkspace(db: TenantDb, id: string, patch: WorkspaceUpdate): Promise<WorkspaceRow | undefined> {
  const set = {
    ...patch,
    settings: patch.settings === undefined ? undefined : json(patch.settings),
    warehouse: patch.warehouse == null ? patch.warehouse : json(patch.warehouse),
  };
  return mapDbErrors(() => db.updateTable('workspaces').set(set).where('id', '=', id).returningAll().executeTakeFirst());
}

/** Locks the workspace row for the rest of the transaction (delete vs. new jobs). */
export function lockWorkspace(db: TenantDb, id: string): Promise<WorkspaceRow | undefined> {
  return db.selectFrom('workspaces').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Pending or running jobs of the workspace (partial index pipeline_jobs_active_status_idx). */
export function countActiveJobsOfWorkspace(db: TenantDb, workspaceId: string): Promise<number> {
  return countRows(
    db.selectFrom('pipeline_jobs').where('workspace_id', '=', workspaceId).where('status', 'in', ['pending', 'running']),
  );
}

/**
 * Deletes what a workspace owns (its schedule, job history, mappings and data
 * sources), then the workspace; run it in one transaction with the row locked.
 * Says whether it had a schedule (whose copy in the queue's scheduler the caller removes).
 */
export async function deleteWorkspaceWithContents(db: TenantDb, id: string): Promise<{ deleted: boolean; hadSchedule: boolean }> {
  const schedule = await db.deleteFrom('workspace_schedules').where('workspace_id', '=', id).returning('workspace_id').executeTakeFirst();
  await db.deleteFrom('pipeline_jobs').where('workspace_id', '=', id).execute();
  await db.deleteFrom('mappings').where('workspace_id', '=', id).execute();
  await db.deleteFrom('data_sources').where('workspace_id', '=', id).execute();
  return { deleted: await deleteWorkspace(db, id), hadSchedule: schedule !== undefined };
}

export async function deleteWorkspace(db: TenantDb, id: string): Promise<boolean> {
  const res = await db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
  return res.numDeletedRows > 0n;
}
