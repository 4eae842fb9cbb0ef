import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { JobType, PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import { publishJobEvent } from './job-events.dao.js';
import * as dao from './pipeline-job.dao.js';

const audited = (j: PipelineJobRow | undefined) => j && { job_type: j.job_type, status: j.status, error_message: j.error_message };

export function findPipelineJobsByIds(scope: RequestScope, ids: readonly string[]): Promise<PipelineJobRow[]> {
  return dao.findPipelineJobsByIds(scope.tenant.db, ids);
}

function checkRange(filter: dao.PipelineJobFilter) {
  if (filter.createdAfter && filter.createdBefore && filter.createdAfter >= filter.createdBefore) {
    throw new ValidationError('createdAfter must be earlier than createdBefore', ['createdAfter']);
  }
}

export function listPipelineJobs(scope: RequestScope, filter: dao.PipelineJobFilter, args: PageArgs): Promise<Page<PipelineJobRow>> {
  checkRange(filter);
  return dao.listPipelineJobs(scope.tenant.db, filter, args);
}

export function countPipelineJobs(scope: RequestScope, filter: dao.PipelineJobFilter): Promise<number> {
  return dao.countPipelineJobs(scope.tenant.db, filter);
}

export function jobPagesByWorkspace(scope: RequestScope, workspaceIds: readonly string[], filter: dao.PipelineJobFilter, args: PageArgs) {
  checkRange(filter);
  return dao.pagesByWorkspaceIds(scope.tenant.db, workspaceIds, filter, args);
}

export function jobCountsByWorkspace(scope: RequestScope, workspaceIds: readonly string[], filter: dao.PipelineJobFilter) {
  return dao.countsByWorkspaceIds(scope.tenant.db, workspaceIds, filter);
}

/** Queues a job (pending) for a runner to pick up; the caller is recorded as its creator. */
export async function createPipelineJob(scope: RequestScope, workspaceId: string, jobType: JobType): Promise<PipelineJobRow> {
  requireRole(scope.actor, 'editor', 'run jobs');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    if (!(await findWorkspaceById(tenant, workspaceId))) throw new NotFoundError('Workspace', workspaceId);
    const row = await dao.insertPipelineJob(tenant, {
      workspace_id: workspaceId,
      job_type: jobType,
      created_by: scope.actor.kind === 'user' ? scope.actor.id : null,
      run_metadata: scope.actor.kind === 'service_account' ? { created_by_service_account: scope.actor.id } : {},
    });
    await recordAudit(platform, auditSource(scope), { action: 'pipelineJob.create', entityType: 'PipelineJob', entityId: row.id, after: audited(row) });
    await publishJobEvent(platform, { organizationId: scope.tenant.organizationId, workspaceId: row.workspace_id, jobId: row.id });
    return row;
  });
}

/** Ends a pending or running job as cancelled; finished jobs cannot be cancelled. */
export async function cancelPipelineJob(scope: RequestScope, id: string): Promise<PipelineJobRow> {
  requireRole(scope.actor, 'editor', 'cancel jobs');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findPipelineJobById(tenant, id);
    if (!before) throw new NotFoundError('PipelineJob', id);
    const after = await dao.transitionPipelineJob(tenant, id, ['pending', 'running'], {
      status: 'cancelled',
      completed_at: new Date(),
      run_metadata: { ...before.run_metadata, cancelled_by: scope.actor.kind === 'system' ? 'system' : scope.actor.id },
    });
    if (!after) {
      const current = await dao.findPipelineJobById(tenant, id);
      throw new ConflictError(`A ${current?.status ?? before.status} job cannot be cancelled`, { currentStatus: current?.status ?? before.status });
    }
    await recordAudit(platform, auditSource(scope), { action: 'pipelineJob.cancel', entityType: 'PipelineJob', entityId: id, before: audited(before), after: audited(after) });
    await publishJobEvent(platform, { organizationId: scope.tenant.organizationId, workspaceId: after.workspace_id, jobId: id });
    return after;
  });
}
