import { sql, type QueryCreator } from 'kysely';
import type { TenantDatabase, TenantDb } from '../db/database.js';
import { countByParent, countQuery, countRows, fetchPage, fetchPagesByParent, type ListColumns, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import { jobEventOfRow } from './job-events.dao.js';
import type {
  JobStatus,
  JobType,
  NewPipelineJobRow,
  PipelineJobRow,
  PipelineJobUpdate,
} from '../db/tables/pipeline-jobs.table.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';

export interface PipelineJobFilter {
  workspaceId?: string | null;
  status?: JobStatus | null;
  jobType?: JobType | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

export function insertPipelineJob(db: TenantDb, row: NewPipelineJobRow): Promise<PipelineJobRow> {
  return mapDbErrors(() =>
    db
      .insertInto('pipeline_jobs')
      .values({ ...row, run_metadata: row.run_metadata === undefined ? undefined : JSON.stringify(row.run_metadata) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findPipelineJobById(db: TenantDb, id: string): Promise<PipelineJobRow | undefined> {
  return db.selectFrom('pipeline_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findPipelineJobsByIds(db: TenantDb, ids: readonly string[]): Promise<PipelineJobRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return compiledOnce(db, 'pipeline jobs by ids', () => db.selectFrom('pipeline_jobs').selectAll().where('id', '=', anyOf(ids)), [ids]);
}

function filtered(db: TenantDb, f: PipelineJobFilter) {
  let q = db.selectFrom('pipeline_jobs');
  if (f.workspaceId != null) q = q.where('workspace_id', '=', f.workspaceId);
  if (f.status != null) q = q.where('status', '=', f.status);
  if (f.jobType != null) q = q.where('job_type', '=', f.jobType);
  if (f.createdAfter != null) q = q.where('created_at', '>', f.createdAfter);
  if (f.createdBefore != null) q = q.where('created_at', '<', f.createdBefore);
  return q;
}

/** What lists read: every column, the JSONB ones as text parsed on first access (lists rarely show them; src/db/lazy-json.ts): a listed row is the row `select *` reads by id (tests/db/list-columns.test.ts). */
export const LIST_COLUMNS: ListColumns<PipelineJobRow> = {
  plain: ['id', 'workspace_id', 'job_type', 'status', 'created_at', 'started_at', 'completed_at', 'error_message', 'created_by', 'progress', 'mapping_ids', 'retry_of'],
  json: ['run_metadata', 'failure'],
};

/** A page of jobs; with `args.withTotalCount`, counted in the same statement (page.totalCount). */
export function listPipelineJobs(db: TenantDb, filter: PipelineJobFilter, args: PageArgs): Promise<Page<PipelineJobRow>> {
  const read = { db, columns: LIST_COLUMNS, count: countQuery(filtered(db, filter)) };
  return fetchPage(filtered(db, filter), 'pipeline_jobs', args, read) as Promise<Page<PipelineJobRow>>;
}

export function countPipelineJobs(db: TenantDb, filter: PipelineJobFilter): Promise<number> {
  return countRows(filtered(db, filter));
}

export function pagesByWorkspaceIds(db: TenantDb, workspaceIds: readonly string[], filter: PipelineJobFilter, args: PageArgs): Promise<Map<string, Page<PipelineJobRow>>> {
  return fetchPagesByParent(db, filtered(db, filter), 'pipeline_jobs', 'workspace_id', workspaceIds, args, LIST_COLUMNS) as Promise<Map<string, Page<PipelineJobRow>>>;
}

export function countsByWorkspaceIds(db: TenantDb, workspaceIds: readonly string[], filter: PipelineJobFilter) {
  return countByParent(filtered(db, filter), 'workspace_id', workspaceIds);
}

/**
 * The update that moves a job between statuses only from the expected one (no
 * lost updates), returning the moved row: the body of a `moved` CTE, so a
 * statement can announce the change and record what goes with it
 * (transitionPipelineJob; starting and ending attempts, pipeline-run.dao.ts).
 * run_metadata given is merged into the stored keys (what the job was created
 * with, such as who or what queued it, stays).
 */
export function moveJobRow(qc: QueryCreator<TenantDatabase>, id: string, from: readonly JobStatus[], patch: PipelineJobUpdate) {
  const { run_metadata, ...rest } = patch;
  const merged = run_metadata === undefined ? {} : { run_metadata: sql<Record<string, unknown>>`run_metadata || ${typeof run_metadata === 'string' ? run_metadata : JSON.stringify(run_metadata)}::jsonb` };
  return qc.updateTable('pipeline_jobs').set({ ...rest, ...merged }).where('id', '=', id).where('status', 'in', [...from]).returningAll();
}

/** The job row of a statement that selected `moved.*` and its announcement (`_announced`). */
export function movedRow(row: (PipelineJobRow & { _announced?: unknown }) | undefined): PipelineJobRow | undefined {
  if (!row) return undefined;
  const { _announced: _, ...job } = row;
  return job;
}

/**
 * Moves a job between statuses only from the expected one (moveJobRow). With
 * `announceFor` (the organization's id) the same statement announces the
 * change (job-events.dao.ts).
 */
export async function transitionPipelineJob(
  db: TenantDb,
  id: string,
  from: readonly JobStatus[],
  patch: PipelineJobUpdate,
  announceFor?: string,
): Promise<PipelineJobRow | undefined> {
  if (announceFor === undefined) return moveJobRow(db, id, from, patch).executeTakeFirst();
  const row = await db
    .with('moved', (qc) => moveJobRow(qc, id, from, patch))
    .selectFrom('moved')
    .selectAll()
    .select(jobEventOfRow(announceFor, 'moved').as('_announced'))
    .executeTakeFirst();
  return movedRow(row);
}
