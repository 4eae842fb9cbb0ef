import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { JobType, PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import { publishJobEvent } from './job-events.dao.js';
import { moveJob } from './job-lifecycle.js';
import * as dao from './pipeline-job.dao.js';
import * as runs from './pipeline-run.dao.js';

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

export interface CreatePipelineJobInput {
  workspaceId: string;
  jobType: JobType;
  /** Which mappings to run; null: every active mapping of the workspace. */
  mappingIds?: readonly string[] | null;
  /** What started it when no one asked directly: a workspace schedule's tick. */
  trigger?: 'schedule';
}

/**
 * Queues a job (pending) for the workspace's active mappings (or those named):
 * the pipeline_jobs row and its queue message are written by one transaction.
 * Refused when the job loads data (full_refresh, incremental) and the workspace
 * has no warehouse, when an incremental job names a mapping without
 * incremental settings, when no active mapping would run, or when one of them already has a
 * pending or running job (the mapping rows are locked, so two creates racing
 * for the same mapping cannot both pass).
 */
export async function createPipelineJob(scope: RequestScope, input: CreatePipelineJobInput, retryOf: string | null = null): Promise<PipelineJobRow> {
  requireRole(scope.actor, 'editor', 'run jobs');
  const organizationId = scope.tenant.organizationId;
  const named = input.mappingIds ? [...new Set(input.mappingIds)] : null;
  if (named && named.length === 0) throw new ValidationError('Name at least one mapping, or leave mappingIds out to run every active mapping', ['mappingIds']);
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const workspace = await findWorkspaceById(tenant, input.workspaceId);
    if (!workspace) throw new NotFoundError('Workspace', input.workspaceId);
    if (input.jobType !== 'mapping_test' && !workspace.warehouse) {
      throw new ValidationError(`The workspace has no warehouse to load into: set one with updateWorkspace before running ${input.jobType.toUpperCase()} jobs`, ['jobType']);
    }
    const mappings = await runs.lockMappingsForRun(tenant, input.workspaceId, named);
    if (named) {
      const found = new Set(mappings.map((m) => m.id));
      const missing = named.find((id) => !found.has(id));
      if (missing) throw new NotFoundError('Mapping', missing);
      const inactive = mappings.find((m) => m.status !== 'active');
      if (inactive) throw new ValidationError(`Mapping ${inactive.target_table} is ${inactive.status}, not active`, ['mappingIds']);
    }
    if (mappings.length === 0) throw new ValidationError('The workspace has no active mapping to run', ['mappingIds']);
    const noCursor = input.jobType === 'incremental' ? mappings.find((m) => !m.incremental) : undefined;
    if (noCursor) throw new ValidationError(`Mapping ${noCursor.target_table} has no incremental settings (cursor column and key): set them with updateMapping, or run a FULL_REFRESH`, ['mappingIds']);
    const ids = mappings.map((m) => m.id);
    const busy = await runs.activeJobsOfMappings(tenant, ids);
    if (busy.length > 0) {
      const mapping = mappings.find((m) => busy[0]!.mapping_ids.includes(m.id))!;
      throw new ConflictError(`Mapping ${mapping.target_table} already has a pending or running job`, { mappingId: mapping.id, jobId: busy[0]!.id });
    }
    const row = await dao.insertPipelineJob(tenant, {
      workspace_id: input.workspaceId,
      job_type: input.jobType,
      mapping_ids: ids,
      retry_of: retryOf,
      created_by: scope.actor.kind === 'user' ? scope.actor.id : null,
      run_metadata: {
        ...(scope.actor.kind === 'service_account' ? { created_by_service_account: scope.actor.id } : {}),
        ...(input.trigger ? { triggered_by: input.trigger } : {}),
      },
    });
    await scope.services.jobQueue.enqueue(platform, { organizationId, jobId: row.id });
    await recordAudit(platform, auditSource(scope), {
      action: retryOf ? 'pipelineJob.retry' : 'pipelineJob.create',
      entityType: 'PipelineJob',
      entityId: row.id,
      after: { ...audited(row), mapping_ids: ids, retry_of: retryOf, ...(input.trigger ? { triggered_by: input.trigger } : {}) },
    });
    await publishJobEvent(platform, { organizationId, workspaceId: row.workspace_id, jobId: row.id });
    return row;
  });
}

/** Starts a new job for the same workspace, type and mappings as a failed (or cancelled) one, linked to it by `retryOf`. */
export async function retryPipelineJob(scope: RequestScope, id: string): Promise<PipelineJobRow> {
  requireRole(scope.actor, 'editor', 'retry jobs');
  const failed = await dao.findPipelineJobById(scope.tenant.db, id);
  if (!failed) throw new NotFoundError('PipelineJob', id);
  if (failed.status !== 'failed' && failed.status !== 'cancelled') {
    throw new ConflictError(`A ${failed.status} job cannot be retried; only failed or cancelled ones`, { currentStatus: failed.status });
  }
  return createPipelineJob(scope, { workspaceId: failed.workspace_id, jobType: failed.job_type, mappingIds: failed.mapping_ids }, failed.id);
}

/**
 * Ends a pending or running job as cancelled. A pending job's queue message is
 * withdrawn in the same transaction; a running one is stopped by its worker at
 * its next check, which also cancels its in-flight statements.
 */
export async function cancelPipelineJob(scope: RequestScope, id: string): Promise<PipelineJobRow> {
  requireRole(scope.actor, 'editor', 'cancel jobs');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findPipelineJobById(tenant, id);
    if (!before) throw new NotFoundError('PipelineJob', id);
    const cancelledBy = scope.actor.kind === 'system' ? 'system' : scope.actor.id;
    const after = await moveJob({ platform, tenant }, scope.tenant.organizationId, id, 'cancelled', {
      run_metadata: { ...before.run_metadata, cancelled_by: cancelledBy },
      failure: JSON.stringify({ origin: 'platform', type: 'cancelled', retryable: false, message: 'cancelled by a user' }),
    });
    if (!after) {
      const current = await dao.findPipelineJobById(tenant, id);
      throw new ConflictError(`A ${current?.status ?? before.status} job cannot be cancelled`, { currentStatus: current?.status ?? before.status });
    }
    if (before.status === 'pending') await scope.services.jobQueue.withdraw(platform, id);
    await runs.insertLogs(tenant, id, [{ level: 'warn', message: before.status === 'pending' ? 'cancelled before it started' : 'cancellation requested; the worker stops it at its next check' }]);
    await recordAudit(platform, auditSource(scope), { action: 'pipelineJob.cancel', entityType: 'PipelineJob', entityId: id, before: audited(before), after: audited(after) });
    return after;
  });
}

export function attemptsOfJobs(scope: RequestScope, jobIds: readonly string[]) {
  return runs.attemptsOfJobs(scope.tenant.db, jobIds);
}

export function logsOfJob(scope: RequestScope, jobId: string, args: PageArgs) {
  return runs.logPage(scope.tenant.db, jobId, args);
}
