import type { TenantDb } from '../db/database.js';
import type { PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';

/** At most this many jobs are re-read for one workspace subscriber after a reconnect. */
export const RESYNC_LIMIT = 100;

/**
 * A workspace's jobs that may have changed since `since`: every job still
 * pending or running, and those queued, started or finished since then;
 * newest first, at most RESYNC_LIMIT. (pipeline_jobs has no updated_at: a
 * status change always sets one of these columns.)
 */
export function jobsChangedSince(db: TenantDb, workspaceId: string, since: Date): Promise<PipelineJobRow[]> {
  return db
    .selectFrom('pipeline_jobs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['pending', 'running']),
        eb('created_at', '>=', since),
        eb('started_at', '>=', since),
        eb('completed_at', '>=', since),
      ]),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(RESYNC_LIMIT)
    .execute();
}

/** The workspace's pending and running jobs, newest first (what a new workspace subscriber starts with). */
export function activeJobsOfWorkspace(db: TenantDb, workspaceId: string): Promise<PipelineJobRow[]> {
  return db
    .selectFrom('pipeline_jobs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', 'in', ['pending', 'running'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(RESYNC_LIMIT)
    .execute();
}
