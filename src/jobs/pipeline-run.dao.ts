import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { MappingRow } from '../db/tables/mappings.table.js';
import type { TenantDb } from '../db/database.js';
import { fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import type { PipelineJobAttemptRow } from '../db/tables/pipeline-job-attempts.table.js';
import type { LogLevel, PipelineJobLogRow } from '../db/tables/pipeline-job-logs.table.js';
import type { JobStatus, PipelineJobRow, PipelineJobUpdate, StoredFailure } from '../db/tables/pipeline-jobs.table.js';
import { jobEventOfRow } from './job-events.dao.js';
import { movedRow, moveJobRow } from './pipeline-job.dao.js';

/** Attempts, log lines and mapping conflicts of pipeline jobs. */

export function attemptsOfJobs(db: TenantDb, jobIds: readonly string[]): Promise<PipelineJobAttemptRow[]> {
  if (jobIds.length === 0) return Promise.resolve([]);
  return db.selectFrom('pipeline_job_attempts').selectAll().where('job_id', 'in', jobIds).orderBy('number').execute();
}

/** Ends the job's open attempts (at most one), with a failure or none. */
export async function endOpenAttempts(db: TenantDb, jobId: string, failure: StoredFailure | null): Promise<PipelineJobAttemptRow[]> {
  return db
    .updateTable('pipeline_job_attempts')
    .set({ ended_at: new Date(), failure: failure ? JSON.stringify(failure) : null })
    .where('job_id', '=', jobId)
    .where('ended_at', 'is', null)
    .returningAll()
    .execute();
}

export function findOpenAttempt(db: TenantDb, jobId: string): Promise<PipelineJobAttemptRow | undefined> {
  return db.selectFrom('pipeline_job_attempts').selectAll().where('job_id', '=', jobId).where('ended_at', 'is', null).executeTakeFirst();
}

/**
 * What starting an attempt after a lost one reads, in one statement: the job
 * and the attempt still open (its worker was lost), if any.
 */
export async function jobForStart(db: TenantDb, jobId: string): Promise<{ job: PipelineJobRow; open: Pick<PipelineJobAttemptRow, 'number' | 'worker'> | null } | undefined> {
  const row = await db
    .selectFrom('pipeline_jobs as j')
    .leftJoin('pipeline_job_attempts as a', (join) => join.onRef('a.job_id', '=', 'j.id').on('a.ended_at', 'is', null))
    .selectAll('j')
    .select(['a.number as open_number', 'a.worker as open_worker'])
    .where('j.id', '=', jobId)
    .orderBy('a.number')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { open_number, open_worker, ...job } = row;
  return { job: job as PipelineJobRow, open: open_number === null ? null : { number: open_number, worker: String(open_worker) } };
}

/**
 * Starts attempt `number` (or the one after the job's last, if higher) by
 * `worker` in one statement: moves the job as `move` says, opens the attempt,
 * writes its "started" line and announces the change — only when no attempt
 * is open. Undefined when nothing moved (the job was not in a status `move`
 * allows, or an attempt is still open: the caller's transaction deals with it).
 */
export async function startAttemptAtOnce(
  db: TenantDb,
  jobId: string,
  move: { from: readonly JobStatus[]; patch: PipelineJobUpdate; announceFor: string },
  number: number,
  worker: string,
): Promise<PipelineJobRow | undefined> {
  // attempt start: move + attempt + "started" line + NOTIFY in one statement
  const row = await db
    .with('moved', (qc) =>
      moveJobRow(qc, jobId, move.from, move.patch).where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('pipeline_job_attempts as open').select(sql.lit(1).as('one')).where('open.job_id', '=', jobId).where('open.ended_at', 'is', null))),
      ),
    )
    .with('attempt', (qc) =>
      qc
        .insertInto('pipeline_job_attempts')
        .columns(['job_id', 'number', 'worker'])
        .expression((eb) =>
          eb.selectFrom('moved').select((e) => [
            'moved.id',
            sql<number>`greatest(${number}::int, coalesce(${e.selectFrom('pipeline_job_attempts as last').select((l) => l.fn.max('last.number').as('n')).where('last.job_id', '=', jobId)}, 0) + 1)`.as('number'),
            sql<string>`${worker}::text`.as('worker'),
          ]),
        )
        .returning(['job_id', 'number']),
    )
    .with('started', (qc) =>
      qc
        .insertInto('pipeline_job_logs')
        .columns(['job_id', 'level', 'message'])
        .expression((eb) =>
          eb.selectFrom('attempt').select(['attempt.job_id', sql<string>`'info'`.as('level'), sql<string>`concat('attempt ', attempt.number, ' started on ', ${worker}::text)`.as('message')]),
        ),
    )
    .selectFrom('moved')
    .selectAll()
    .select(jobEventOfRow(move.announceFor, 'moved').as('_announced'))
    .executeTakeFirst();
  return movedRow(row);
}

/**
 * Ends the job's attempt in one statement: moves the job as `move` says and,
 * when it moved, ends its open attempt with `failure` and announces the change.
 * Log lines are written in order: `kept` whether or not the job moved (lines
 * logged while it ran), then `ifMoved` only when it did. Undefined when the job
 * did not move (cancelled meanwhile).
 */
export async function endAttemptAtOnce(
  db: TenantDb,
  jobId: string,
  move: { from: readonly JobStatus[]; patch: PipelineJobUpdate; announceFor: string },
  failure: StoredFailure | null,
  lines: { kept: readonly NewLogLine[]; ifMoved: readonly NewLogLine[] },
): Promise<PipelineJobRow | undefined> {
  const all = [...lines.kept.map((l) => ({ ...l, ifMoved: false })), ...lines.ifMoved.map((l) => ({ ...l, ifMoved: true }))];
  // attempt end: move + attempt ended + log lines + NOTIFY in one statement
  const row = await db
    .with('moved', (qc) => moveJobRow(qc, jobId, move.from, move.patch))
    .with('ended', (qc) =>
      qc
        .updateTable('pipeline_job_attempts')
        .set({ ended_at: new Date(), failure: failure ? JSON.stringify(failure) : null })
        .where('job_id', '=', jobId)
        .where('ended_at', 'is', null)
        .where(({ exists, selectFrom }) => exists(selectFrom('moved').select('moved.id'))),
    )
    .with('logged', (qc) =>
      qc
        .insertInto('pipeline_job_logs')
        .columns(['job_id', 'level', 'message', 'mapping_id'])
        .expression((eb) =>
          eb
            .selectFrom(
              sql<{ level: LogLevel; message: string; mapping_id: string | null; if_moved: boolean; n: number }>`unnest(${all.map((l) => l.level)}::text[], ${all.map((l) => l.message)}::text[], ${all.map((l) => l.mappingId ?? null)}::uuid[], ${all.map((l) => l.ifMoved)}::boolean[]) with ordinality`.as<'line'>(
                sql`line(level, message, mapping_id, if_moved, n)`,
              ),
            )
            .select([sql<string>`${jobId}::uuid`.as('job_id'), 'line.level', 'line.message', 'line.mapping_id'])
            .where(({ or, not, exists, selectFrom, ref }) => or([not(ref('line.if_moved')), exists(selectFrom('moved').select('moved.id'))]))
            .orderBy('line.n'),
        ),
    )
    .selectFrom('moved')
    .selectAll()
    .select(jobEventOfRow(move.announceFor, 'moved').as('_announced'))
    .executeTakeFirst();
  return movedRow(row);
}

export interface NewLogLine {
  level: LogLevel;
  message: string;
  mappingId?: string | null;
}

export async function insertLogs(db: TenantDb, jobId: string, lines: readonly NewLogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db
    .insertInto('pipeline_job_logs')
    .values(lines.map((l) => ({ job_id: jobId, level: l.level, message: l.message, mapping_id: l.mappingId ?? null })))
    .execute();
}

export function logPage(db: TenantDb, jobId: string, args: PageArgs): Promise<Page<PipelineJobLogRow>> {
  return fetchPage(db.selectFrom('pipeline_job_logs').selectAll().where('job_id', '=', jobId), 'pipeline_job_logs', args);
}

/** Pending or running jobs that run any of these mappings (the mapping rows are locked by the caller). */
export function activeJobsOfMappings(db: TenantDb, mappingIds: readonly string[]): Promise<Pick<PipelineJobRow, 'id' | 'mapping_ids'>[]> {
  // active jobs overlapping a set of mappings (GIN index pipeline_jobs_active_mappings_idx)
  return db
    .selectFrom('pipeline_jobs')
    .select(['id', 'mapping_ids'])
    .where('status', 'in', ['pending', 'running'])
    .where(sql<boolean>`mapping_ids && ${sql.val([...mappingIds])}::uuid[]`)
    .execute();
}

/** The workspace's mappings a job will run (all active ones, or those named), locked until the transaction ends. */
export function lockMappingsForRun(db: TenantDb, workspaceId: string, ids: readonly string[] | null) {
  let q = db.selectFrom('mappings').select(['id', 'status', 'target_table', 'incremental']).where('workspace_id', '=', workspaceId);
  q = ids ? q.where('id', 'in', [...ids]) : q.where('status', '=', 'active');
  return q.orderBy('id').forUpdate().execute();
}

/** What a job's executor reads of a data source: the workspace's active PostgreSQL ones, oldest first (which one a mapping reads: src/worker/mapping-source.ts). */
const jobSources = (db: TenantDb, workspaceId: string) =>
  db
    .selectFrom('data_sources')
    .select(['id', 'name', 'source_type', 'connection_config', 'schema_cache'])
    .where('workspace_id', '=', workspaceId)
    .where('is_active', '=', true)
    .where('source_type', '=', 'postgresql')
    .orderBy('created_at')
    .orderBy('id');

export type JobSourceRow = Awaited<ReturnType<ReturnType<typeof jobSources>['execute']>>[number];

/**
 * What a job runs, in one statement: its mappings, in the order they were
 * chosen, and the workspace's active PostgreSQL data sources with their cached
 * schemas, oldest first (jobSources; read once, as JSON — their columns are
 * text and JSONB, so they arrive as a row would — and sent on the first row
 * only: a job of 100 mappings would otherwise carry every cached schema 100
 * times). No sources when the job has no mapping: nothing would read one.
 */
export async function mappingsOfJob(db: TenantDb, workspaceId: string, mappingIds: readonly string[]): Promise<{ mappings: MappingRow[]; sources: JobSourceRow[] }> {
  if (mappingIds.length === 0) return { mappings: [], sources: [] };
  const rows = await db
    .selectFrom('mappings')
    .selectAll('mappings')
    // job inputs: the sources' subquery runs once (an InitPlan); only the first row carries its result
    .select(sql<JobSourceRow[] | null>`case when row_number() over () = 1 then ${jsonArrayFrom(jobSources(db, workspaceId))} end`.as('_sources'))
    .where('id', 'in', [...mappingIds])
    .execute();
  const mappings = mappingIds
    .map((id) => rows.find((r) => r.id === id))
    .filter((r) => r !== undefined)
    .map(({ _sources: _, ...mapping }) => mapping);
  return { mappings, sources: rows.find((r) => r._sources != null)?._sources ?? [] };
}
